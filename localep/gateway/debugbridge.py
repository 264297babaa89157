"""A debugger only its owner can attach: debugpy has no authentication, and whoever reaches it is root in the
container, so its port is never published.

debugpy listens on 127.0.0.1 inside the container. For each debugged deployment the gateway (running as the
owner) offers two ways in, both relayed into the container by `docker exec` of a stdlib relay to debugpy's port:
- a Unix socket, `debug-<deployment>.sock` in the endpoint's 0700 folder, itself 0600 (`ps --json`: debug_socket),
  a plain DAP byte stream to debugpy's adapter: the localep VS Code extension connects there;
- 127.0.0.1:<the same port number as inside> for the Python extension's own attach configuration (launch.json),
  which accepts a connection only when the peer's socket belongs to the owner's uid (Linux: looked up in
  /proc/net/tcp); anything else is closed unanswered. The same number as inside matters: debugpy's child session
  (a gunicorn worker) tells the client to connect to 127.0.0.1:<port> again.
Every connection gets its own relay, so several sessions (the worker's child session) attach at once.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple

from localep.gateway.unixaddress import unix_socket_address

log = logging.getLogger("localep.gateway")

CHUNK = 65536


def debug_socket_path(folder: Path, deployment: str) -> Path:
    """Where the owner-only debug socket of `deployment` lives, in the endpoint's private folder."""
    return Path(folder) / f"debug-{deployment}.sock"


class Stream(Protocol):
    """A duplex byte stream to debugpy inside the container."""

    def send(self, data: bytes) -> None: ...

    def recv(self) -> bytes: ...  # b"" at the end

    def close_write(self) -> None: ...

    def close(self) -> None: ...


StreamOpener = Callable[[str, List[str]], Stream]  # (container, relay command run in it) -> stream


class DockerExecStream:
    """`docker exec -i <container> python debug_relay.py <port>` through the Engine API: what we send is the relay's
    stdin; its stdout comes back in the engine's multiplexed frames (8-byte header, then the payload)."""

    def __init__(self, client: Any, container: str, command: List[str]) -> None:
        exec_id = client.api.exec_create(container, command, stdin=True, stdout=True, stderr=False, tty=False)["Id"]
        hijacked = client.api.exec_start(exec_id, socket=True)
        self._sock: socket.socket = getattr(hijacked, "_sock", hijacked)
        self._sock.settimeout(None)  # the API client's timeout would end a session paused at a breakpoint
        self._pending = 0

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def recv(self) -> bytes:
        while self._pending == 0:
            header = self._read_exactly(8)
            if len(header) < 8:
                return b""
            self._pending = struct.unpack(">BxxxL", header)[1]
        data = self._sock.recv(min(self._pending, CHUNK))
        self._pending -= len(data)
        return data

    def _read_exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            piece = self._sock.recv(size - len(data))
            if not piece:
                break
            data += piece
        return data

    def close_write(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()


def docker_exec_opener() -> StreamOpener:
    """Opens relays through the engine the gateway's environment names; the client is made at the first one."""
    clients: List[Any] = []

    def open_stream(container: str, command: List[str]) -> Stream:
        if not clients:
            import docker

            clients.append(docker.from_env(timeout=10))
        return DockerExecStream(clients[0], container, command)

    return open_stream


def _hex_endpoint(address: Tuple[str, int]) -> str:
    """An IPv4 address and port as /proc/net/tcp writes them: the address little-endian, both in hex."""
    return f"{socket.inet_aton(address[0])[::-1].hex().upper()}:{address[1]:04X}"


def peer_uid(connection: socket.socket, table: str = "/proc/net/tcp") -> Optional[int]:
    """The uid owning the other end of a loopback TCP connection, or None when it cannot be told (not Linux, or
    the peer is in another network namespace)."""
    theirs, ours = _hex_endpoint(connection.getpeername()), _hex_endpoint(connection.getsockname())
    try:
        lines = Path(table).read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 7 and fields[1] == theirs and fields[2] == ours:
            return int(fields[7])
    return None


def _pump(read: Callable[[], bytes], write: Callable[[bytes], None], done: Callable[[], None]) -> None:
    try:
        while True:
            data = read()
            if not data:
                break
            write(data)
    except OSError:
        pass
    finally:
        done()


def _shut_write(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class DebugBridge:
    """The Unix socket and (optionally) the owner-only TCP port of one debugged deployment."""

    def __init__(self, socket_path: Path, tcp_port: Optional[int], container: str, command: List[str],
                 open_stream: StreamOpener) -> None:
        self.socket_path = Path(socket_path)
        self.target = (container, command, tcp_port)
        self._open = lambda: open_stream(container, command)
        self._listeners: List[socket.socket] = [self._bind_unix(self.socket_path)]
        if tcp_port is not None:
            try:
                self._listeners.append(self._bind_tcp(tcp_port))
            except OSError:
                self._listeners[0].close()
                raise
        self.refused = 0
        for listener in self._listeners:
            threading.Thread(target=self._accept, args=(listener,), daemon=True,
                             name=f"debug-bridge-{container}").start()

    @staticmethod
    def _bind_unix(path: Path) -> socket.socket:
        if path.exists():
            path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # 0600 from its creation
        try:
            with unix_socket_address(str(path)) as address:
                listener.bind(address)
        finally:
            os.umask(old_umask)
        listener.listen(16)
        return listener

    @staticmethod
    def _bind_tcp(port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", port))
            listener.listen(16)
        except OSError:
            listener.close()
            raise
        return listener

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed
            if listener.family == socket.AF_INET and peer_uid(connection) != os.getuid():
                self.refused += 1
                log.warning("debug bridge: refused a connection to 127.0.0.1:%d from another user",
                            listener.getsockname()[1])
                connection.close()
                continue
            threading.Thread(target=self._relay, args=(connection,), daemon=True).start()

    def _relay(self, connection: socket.socket) -> None:
        try:
            stream = self._open()
        except Exception as error:  # the container is gone or restarting: the client sees the connection close
            log.warning("debug bridge: cannot reach debugpy in %s: %s", self.target[0], error)
            connection.close()
            return
        inbound = threading.Thread(target=_pump, args=(lambda: connection.recv(CHUNK), stream.send,
                                                       stream.close_write), daemon=True)
        inbound.start()
        _pump(stream.recv, connection.sendall, lambda: _shut_write(connection))
        inbound.join(1.0)
        stream.close()
        connection.close()

    def close(self) -> None:
        for listener in self._listeners:
            listener.close()
        try:
            self.socket_path.unlink()
        except FileNotFoundError:
            pass


class DebugBridges:
    """The bridges a gateway runs, kept in step with its deployments (`sync` after every change)."""

    def __init__(self, folder: Path, open_stream: StreamOpener) -> None:
        self.folder = Path(folder)
        self._open = open_stream
        self.bridges: Dict[str, DebugBridge] = {}

    def sync(self, wanted: Dict[str, Tuple[str, List[str], int]]) -> None:
        """`wanted`: deployment -> (container, relay command, TCP port: the number debugpy has inside)."""
        for name in [name for name, bridge in self.bridges.items() if bridge.target != wanted.get(name)]:
            self.bridges.pop(name).close()
        for name, (container, command, port) in wanted.items():
            if name not in self.bridges:
                try:
                    self.bridges[name] = DebugBridge(debug_socket_path(self.folder, name), port, container, command,
                                                     self._open)
                except OSError as error:
                    log.error("debug bridge for %s: cannot listen on 127.0.0.1:%d: %s", name, port, error)

    def close(self) -> None:
        for bridge in self.bridges.values():
            bridge.close()
        self.bridges.clear()
