"""Unix socket addresses of any length (the control socket, the debug sockets live deep under $LOCALEP_HOME)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def unix_socket_address(path: str) -> Iterator[str]:
    """Unix socket paths are limited to ~107 bytes; a longer one is reached through its folder's descriptor,
    open only while the socket is bound or connected."""
    if len(path.encode()) < 100 or not os.path.isdir("/proc/self/fd"):
        yield path
        return
    folder = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{folder}/{os.path.basename(path)}"
    finally:
        os.close(folder)
