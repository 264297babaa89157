"""gunicorn configuration localep gives the inference server: only the endpoint may call it.

Another user of the machine can reach a container's bridge address, so the server must not answer just anyone.
localep starts the server with `GUNICORN_CMD_ARGS="--config /opt/localep/gunicorn_gate.py ..."` and the endpoint's
secret in LOCALEP_UPSTREAM_SECRET; this file wraps each worker's WSGI application so a request without
`X-Localep-Upstream-Secret: <secret>` gets 403 before the inference server (or the scoring script) sees it.
No extra hop, no extra process: one header comparison per request.

The secret leaves the environment here (the scoring script never sees it); gunicorn re-reads this file on every
SIGHUP reload, so the first read is kept for the next ones. No secret at all refuses everything (fails closed).
Standard library only: it runs with the image's Python, never imports localep.
"""

from __future__ import annotations

import hmac
import os
import sys
import types
from typing import Any, Callable, Iterable, List, Tuple

SECRET_ENV = "LOCALEP_UPSTREAM_SECRET"
SECRET_WSGI_KEY = "HTTP_X_LOCALEP_UPSTREAM_SECRET"  # the header X-Localep-Upstream-Secret, as WSGI names it
FORBIDDEN = b'{"error": "this container answers only its localep endpoint"}'

_kept = sys.modules.setdefault("_localep_gate", types.ModuleType("_localep_gate"))
_kept.secret = os.environ.pop(SECRET_ENV, None) or getattr(_kept, "secret", "")  # type: ignore[attr-defined]

StartResponse = Callable[[str, List[Tuple[str, str]]], Any]
Application = Callable[[dict, StartResponse], Iterable[bytes]]


def gate(application: Application, secret: str) -> Application:
    expected = secret.encode("latin-1")

    def gated(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        given = environ.pop(SECRET_WSGI_KEY, "").encode("latin-1")
        if expected and hmac.compare_digest(given, expected):
            return application(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(FORBIDDEN))),
                                         ("Connection", "close")])
        return [FORBIDDEN]

    return gated


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook, after a worker loaded the application and before it takes its first request."""
    worker.wsgi = gate(worker.wsgi, _kept.secret)
