"""Real servers for tests, on 127.0.0.1, served from threads: HTTP servers always shut down, and raw listeners for
upstreams that misbehave below HTTP."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import HTTPServer
from typing import Callable, Iterator, TypeVar

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


def accepting(handle: Callable[[socket.socket], None], backlog: int = 8) -> socket.socket:
    """A listener on 127.0.0.1 that gives each accepted connection to `handle` on a thread of its own (`handle` closes
    it); closing the listener ends the accept loop."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)

    def run() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    threading.Thread(target=run, daemon=True).start()
    return listener
