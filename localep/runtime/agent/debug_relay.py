"""Relays stdin/stdout to debugpy on 127.0.0.1:PORT inside the container: what localep's debug bridge runs with
`docker exec -i` for each debugger connection, so debugpy itself listens on the container's loopback only.

    python /opt/localep/debug_relay.py PORT

Standard library only (the image's Python, no localep). Ends when either side closes.
"""

from __future__ import annotations

import os
import socket
import sys
import threading

CHUNK = 65536


def upstream(sock: socket.socket) -> None:
    """stdin -> debugpy; at stdin's end, half-close so debugpy sees the client leave."""
    while True:
        data = os.read(0, CHUNK)
        if not data:
            break
        sock.sendall(data)
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main(port: int) -> int:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError as error:
        sys.stderr.write(f"debug_relay: cannot reach debugpy on 127.0.0.1:{port}: {error}\n")
        return 1
    sock.settimeout(None)
    threading.Thread(target=upstream, args=(sock,), daemon=True).start()
    while True:
        try:
            data = sock.recv(CHUNK)
        except OSError:
            break
        if not data:
            break
        while data:
            data = data[os.write(1, data):]
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
