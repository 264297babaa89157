"""The owner-only ways to debugpy: a 0600 Unix socket and a TCP port that checks the peer's uid, each connection
relayed on its own (a stand-in debugpy on 127.0.0.1 replaces `docker exec` of the relay)."""

from __future__ import annotations

import os
import socket
import stat
from typing import List

from localep.gateway.debugbridge import DebugBridge, DebugBridges, debug_socket_path, peer_uid
from serving import accepting


class TcpStream:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self) -> bytes:
        return self.sock.recv(65536)

    def close_write(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.sock.close()


def echo_debugpy() -> socket.socket:
    """Answers each connection with its own bytes, upper-cased, until the client half-closes."""

    def serve(connection: socket.socket) -> None:
        with connection:
            while True:
                data = connection.recv(65536)
                if not data:
                    return
                connection.sendall(data.upper())

    return accepting(serve)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(65536)


def test_the_unix_socket_is_owner_only_and_relays_several_sessions_at_once(tmp_path):
    debugpy = echo_debugpy()
    opened: List[List[str]] = []

    def open_stream(container: str, command: List[str]) -> TcpStream:
        opened.append([container, *command])
        return TcpStream(debugpy.getsockname()[1])

    path = debug_socket_path(tmp_path, "blue")
    bridge = DebugBridge(path, None, "localep-ep-blue", ["relay", "5678"], open_stream)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        first, second = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
        first.connect(str(path))
        second.connect(str(path))  # debugpy's child session attaches while the first is open
        assert exchange(first, b"initialize") == b"INITIALIZE"
        assert exchange(second, b"attach") == b"ATTACH"
        first.shutdown(socket.SHUT_WR)
        assert first.recv(10) == b""  # the relay ends with its client
        first.close()
        second.close()
        assert opened == [["localep-ep-blue", "relay", "5678"]] * 2
    finally:
        bridge.close()
        debugpy.close()
    assert not path.exists()


def test_the_tcp_port_relays_for_the_owner(tmp_path):
    debugpy = echo_debugpy()
    port = free_port()
    bridge = DebugBridge(tmp_path / "d.sock", port, "c", ["relay"], lambda c, m: TcpStream(debugpy.getsockname()[1]))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            assert exchange(client, b"threads") == b"THREADS"
        assert bridge.refused == 0
    finally:
        bridge.close()
        debugpy.close()


def test_peer_uid_names_the_owner_of_the_other_end(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.create_connection(listener.getsockname()) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert peer_uid(accepted) == os.getuid()
                assert peer_uid(accepted, str(tmp_path / "no-such-table")) is None
                assert client.fileno() >= 0


def test_bridges_follow_the_deployments(tmp_path):
    debugpy = echo_debugpy()
    bridges = DebugBridges(tmp_path, lambda c, m: TcpStream(debugpy.getsockname()[1]))
    port = free_port()
    try:
        bridges.sync({"blue": ("localep-ep-blue", ["relay", str(port)], port)})
        assert debug_socket_path(tmp_path, "blue").exists()
        bridges.sync({})
        assert not debug_socket_path(tmp_path, "blue").exists() and not bridges.bridges
    finally:
        bridges.close()
        debugpy.close()
