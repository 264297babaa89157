"""Real HTTP servers on 127.0.0.1 standing in for deployment containers, and a gateway in front of them.

A uniquely named module (not conftest) so `import` finds it whatever other conftest files pytest loaded.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from localep.gateway.client import ControlClient, _UnixConnection
from localep.gateway.config import DeploymentRoute, GatewayConfig, Keys, Liveness
from localep.gateway.server import Gateway

NO_PROBES = Liveness(initial_delay=3600, period=3600, timeout=1, failure_threshold=3)


class _UpstreamHandler(BaseHTTPRequestHandler):
    """How an Upstream answers (its settings are read at each request)."""

    protocol_version = "HTTP/1.0"

    @property
    def upstream(self) -> Upstream:
        return self.server.upstream  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        if self.path == "/":
            self.upstream.liveness_hits += 1
            self.answer(200 if self.upstream.healthy else 503, b"Healthy" if self.upstream.healthy else b"init failed")
            return
        self.score()

    def do_POST(self) -> None:
        self.score()

    def score(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.upstream._lock:
            self.upstream.hits += 1
            self.upstream.requests.append((self.command, self.path, dict(self.headers.items()), body))
        if self.upstream.delay_s:
            time.sleep(self.upstream.delay_s)
        if self.upstream.status == 200:
            payload = json.dumps({"deployment": self.upstream.name, "echo": body.decode()}).encode()
        else:
            payload = b'{"message": "An unexpected error occurred in scoring script."}'
        self.answer(self.upstream.status, payload, "application/json")

    def answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in self.upstream.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Upstream:
    """A deployment container's inference server: answers /score with its name, closes every connection.

    `delay_s`, `status` and `healthy` change how it answers while it runs.
    """

    def __init__(self, name: str, delay_s: float = 0.0, status: int = 200, healthy: bool = True,
                 extra_headers: Optional[Dict[str, str]] = None) -> None:
        self.name = name
        self.extra_headers = extra_headers or {}
        self.delay_s = delay_s
        self.status = status
        self.healthy = healthy
        self.hits = 0
        self.liveness_hits = 0
        self.requests: List[Tuple[str, str, Dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _UpstreamHandler)
        self.server.upstream = self  # type: ignore[attr-defined]
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def route(*urls: str, **settings: Any) -> DeploymentRoute:
    settings.setdefault("liveness", NO_PROBES)
    settings.setdefault("max_concurrent_requests_per_instance", 50)
    return DeploymentRoute(upstreams=list(urls), **settings)


def make_config(
    deployments: Dict[str, DeploymentRoute], traffic: Optional[Dict[str, int]] = None, **fields: Any
) -> GatewayConfig:
    fields.setdefault("auth_mode", "none")
    return GatewayConfig(endpoint="my-endpoint", port=0, deployments=deployments, traffic=traffic or {}, **fields)


class Client:
    """A keep-alive HTTP client for one gateway, like `requests.Session` but with nothing in between."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def call(
        self, method: str = "POST", path: str = "/score", body: Any = None, headers: Optional[Dict[str, str]] = None
    ) -> Tuple[int, Dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else (body or b"")
        self.connection.request(method, path, body=data, headers=headers or {})
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def close(self) -> None:
        self.connection.close()


def call(port: int, *args: Any, **kwargs: Any) -> Tuple[int, Dict[str, str], bytes]:
    client = Client(port)
    try:
        return client.call(*args, **kwargs)
    finally:
        client.close()


def control_call(gateway: Gateway, method: str, path: str, body: Any = None) -> Tuple[int, Dict[str, str], bytes]:
    """A raw request on the gateway's control socket (the typed client is `control_client`)."""
    socket_path = gateway.table.config.control_socket
    assert socket_path, "the gateway was started without a control socket"
    connection = _UnixConnection(socket_path, 10)
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else (body or b"")
    try:
        connection.request(method, path, body=data)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def control_client(gateway: Gateway) -> ControlClient:
    assert gateway.table.config.control_socket
    return ControlClient(gateway.table.config.control_socket)


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def upstreams() -> Iterator[Callable[..., Upstream]]:
    started: List[Upstream] = []

    def start(name: str, **behaviour: Any) -> Upstream:
        upstream = Upstream(name, **behaviour)
        started.append(upstream)
        return upstream

    yield start
    for upstream in started:
        upstream.close()


@pytest.fixture
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Gateway]]:
    started: List[Gateway] = []

    def start(config: GatewayConfig, **options: Any) -> Gateway:
        if config.control_socket is None:
            folder = tmp_path_factory.mktemp("endpoint")
            config = replace(config, control_socket=str(folder / "control.sock"))
        gateway = Gateway(config, **options).start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.close()


__all__ = [
    "Client",
    "Keys",
    "Upstream",
    "call",
    "control_call",
    "control_client",
    "gateways",
    "make_config",
    "refused_url",
    "replace",
    "route",
    "upstreams",
    "wait_until",
]
