"""The endpoint port under abuse, against the real detached gateway daemon: no control route without the
credential, an unauthenticated 1 GiB upload answered 401 fast without the gateway growing, and legitimate
requests still served while hundreds of connections trickle bytes."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from gateway_fixtures import Keys, call, make_config, replace, route

from localep.gateway.client import ControlClient
from localep.gateway.process import start_gateway, stop_gateway

KEY = "k" * 43
AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def daemon(upstreams, tmp_path):
    upstream = upstreams("blue")
    config = make_config({"blue": route(upstream.url)}, {"blue": 100}, auth_mode="key",
                         keys=Keys(primary=KEY, secondary="s" * 43))
    config = replace(config, port=free_port(), control_socket=str(tmp_path / "state" / "control.sock"))
    pid = start_gateway(config, tmp_path / "gateway.json", tmp_path / "gateway.log")
    control = ControlClient(config.control_socket)
    try:
        yield config.port, control, control.state().pid, upstream
    finally:
        stop_gateway(pid)


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/__localep/state", None),
    ("PUT", "/__localep/traffic", {"blue": 0}),
    ("PUT", "/__localep/keys", {"primary": "attacker"}),
    ("PUT", "/__localep/deployments/evil", {"upstreams": ["http://10.0.0.1:80"]}),
    ("PUT", "/__localep/record", {"path": "/tmp/owned"}),
    ("POST", "/__localep/token", {}),
    ("GET", "/anything-else", None),
])
def test_no_control_route_on_the_endpoint_port(daemon, method, path, body):
    port, control, _, upstream = daemon
    for headers in ({}, AUTH):
        status, _, answer = call(port, method, path, body=body, headers=headers)
        assert status in (401, 404), (status, answer)
        assert KEY.encode() not in answer
    state = control.state()
    assert state.config.traffic == {"blue": 100} and list(state.config.deployments) == ["blue"]
    assert state.config.record_path is None and upstream.hits == 0
    wire = control._call("GET", "state")  # what the socket really sends, before the client types it
    assert "keys" not in wire["config"] and "token_secret" not in wire["config"] and KEY not in json.dumps(wire)


def test_control_socket_is_private(daemon, tmp_path):
    socket_path = tmp_path / "state" / "control.sock"
    assert os.stat(socket_path).st_mode & 0o077 == 0
    assert os.stat(socket_path.parent).st_mode & 0o077 == 0


def test_unauthenticated_1_gib_upload_is_401_fast_and_never_buffered(daemon):
    port, _control, pid, upstream = daemon
    before = rss_kib(pid)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"POST /score HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {1 << 30}\r\n\r\n".encode())
    started = time.monotonic()
    answer = b""
    chunk = b"x" * (1 << 20)
    sent = 0
    sock.settimeout(0.01)
    try:
        while sent < (1 << 30) and not answer:  # stream, never allocate: 1 MiB at a time, reading as we go
            try:
                sent += sock.send(chunk)
            except socket.timeout:
                pass
            try:
                answer = sock.recv(4096)
            except socket.timeout:
                pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(5)
    if not answer:
        answer = sock.recv(4096)
    elapsed = time.monotonic() - started
    sock.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer[:100]
    assert elapsed < 5 and sent < (1 << 30)
    assert rss_kib(pid) - before < 32 * 1024  # the body was never kept
    assert upstream.hits == 0


def test_slow_connection_flood_does_not_stop_legitimate_requests(daemon):
    port, control, _pid, _upstream = daemon
    slow = []
    for _ in range(400):  # each sends part of a head and then trickles
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(f"POST /score HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
        slow.append(sock)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.2):
            for sock in slow:
                try:
                    sock.send(b"a")
                except OSError:
                    pass

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        statuses = [call(port, "POST", "/score", body={"x": 1}, headers=AUTH)[0] for _ in range(50)]
        assert statuses == [200] * 50 and time.monotonic() - started < 10
        assert control.state().connections.open >= 400
    finally:
        stop.set()
        thread.join()
        for sock in slow:
            sock.close()
