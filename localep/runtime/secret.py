"""The endpoint's upstream secret: what its deployment containers demand of every request, so that they answer
only the endpoint (another user of the machine can reach a container's bridge address, but not this file).

One 0600 file per endpoint, in its 0700 state folder, made once and kept: containers started by an earlier `up`
of the same endpoint keep working with a gateway started later. Sent as UPSTREAM_SECRET_HEADER by the gateway
(the gateway config holds it) and by `up`'s readiness polling.
"""

from __future__ import annotations

import secrets
from typing import Dict

from localep.fileio import write_once
from localep.protocol import UPSTREAM_SECRET_HEADER
from localep.runtime.state import endpoint_dir

SECRET_FILE = "upstream.secret"


def upstream_secret(endpoint: str) -> str:
    return write_once(endpoint_dir(endpoint) / SECRET_FILE, secrets.token_urlsafe(32), private=True).strip()


def upstream_credential(endpoint: str) -> Dict[str, str]:
    return {UPSTREAM_SECRET_HEADER: upstream_secret(endpoint)}
