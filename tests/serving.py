"""Real HTTP servers for unit tests, on 127.0.0.1, served from a thread and always shut down."""

from __future__ import annotations

import contextlib
import threading
from http.server import HTTPServer
from typing import Iterator, TypeVar

ServerT = TypeVar("ServerT", bound=HTTPServer)


@contextlib.contextmanager
def serving(httpd: ServerT) -> Iterator[ServerT]:
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
