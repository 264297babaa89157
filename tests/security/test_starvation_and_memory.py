"""Idle and keyless clients cannot hold the endpoint, large uploads do not grow it, and the head decides first.

Real sockets against real gateways; the memory test runs the gateway as the CLI does (a detached process).
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gateway_fixtures import Client, call, make_config, route

from localep.gateway.client import ControlClient
from localep.gateway.config import Keys
from localep.gateway.http1 import Limits
from localep.gateway.process import start_gateway, stop_gateway
from localep.gateway.server import LISTEN_BACKLOG

KEY = {"Authorization": "Bearer primary-key"}
MB = 1000 * 1000


def key_config(*args, **fields):
    return make_config(*args, auth_mode="key", keys=Keys("primary-key", "secondary-key"), **fields)


def test_the_listen_backlog_is_the_configured_one(upstreams, gateways):
    gateway = gateways(make_config({"blue": route(upstreams("blue").url)}, {"blue": 100}))
    listing = subprocess.run(["ss", "-ltnH", f"sport = :{gateway.port}"], capture_output=True, text=True,
                             check=True).stdout.split()
    assert int(listing[2]) == LISTEN_BACKLOG  # Send-Q of a listening socket is its backlog


def test_keyless_liveness_requests_never_extend_a_connections_life(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(key_config({"blue": route(blue.url)}, {"blue": 100}),
                       limits=Limits(credential_deadline_s=1.0, idle_timeout_s=30))
    keyless, keyed = Client(gateway.port), Client(gateway.port)
    try:
        started = time.monotonic()
        assert keyed.call(headers=KEY)[0] == 200
        closed = False
        while time.monotonic() - started < 3 and not closed:
            try:
                assert keyless.call("GET", "/")[0] == 200
            except (OSError, http.client.HTTPException):
                closed = True
            time.sleep(0.2)
        assert closed and time.monotonic() - started < 2  # cut off at the credential deadline
        assert keyed.call(headers=KEY)[0] == 200  # a connection with a key lives on
    finally:
        keyless.close()
        keyed.close()


def test_a_connection_that_never_sends_a_credential_is_closed_at_the_deadline(upstreams, gateways):
    gateway = gateways(key_config({"blue": route(upstreams("blue").url)}, {"blue": 100}),
                       limits=Limits(credential_deadline_s=0.5))
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=3) as sock:
        started = time.monotonic()
        assert sock.recv(4096) == b""
        assert time.monotonic() - started < 1.5


def test_at_the_cap_keyless_connections_go_before_idle_keyed_ones(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(key_config({"blue": route(blue.url)}, {"blue": 100}), limits=Limits(max_connections=3))
    keyed = Client(gateway.port)
    try:
        assert keyed.call(headers=KEY)[0] == 200  # the oldest connection, idle from now on
        idle = [socket.create_connection(("127.0.0.1", gateway.port), timeout=5) for _ in range(2)]
        time.sleep(0.2)
        for _ in range(5):  # each newcomer pushes out a keyless one, never the keyed one
            assert call(gateway.port, headers=KEY)[0] == 200
        assert keyed.call(headers=KEY)[0] == 200
        for sock in idle:
            sock.close()
    finally:
        keyed.close()


def test_a_keyless_pinned_liveness_request_is_not_forwarded_and_names_nothing(upstreams, gateways):
    blue, dark = upstreams("blue"), upstreams("dark")
    gateway = gateways(key_config({"blue": route(blue.url), "dark-launch": route(dark.url)}, {"blue": 100}))
    status, _, body = call(gateway.port, "GET", "/", headers={"azureml-model-deployment": "dark-launch"})
    assert status == 200 and body == b"Healthy"
    status, _, body = call(gateway.port, "GET", "/", headers={"azureml-model-deployment": "nope"})
    assert status == 200 and b"dark-launch" not in body and b"blue" not in body
    assert blue.liveness_hits == dark.liveness_hits == 0
    status, _, body = call(gateway.port, "POST", "/score", headers={"azureml-model-deployment": "nope"})
    assert status == 401 and b"dark-launch" not in body
    pinned = call(gateway.port, "GET", "/", headers={"azureml-model-deployment": "dark-launch", **KEY})
    assert pinned[0] == 200 and dark.liveness_hits == 1  # with the key, the pin is honoured


def test_headers_named_in_connection_are_not_forwarded(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}))
    headers = {"Connection": "keep-alive, X-Hop, x-other", "X-Hop": "1", "X-Other": "2", "X-Kept": "3"}
    assert call(gateway.port, headers=headers)[0] == 200
    forwarded = {name.lower() for name in blue.requests[-1][2]}
    assert "x-kept" in forwarded and not {"x-hop", "x-other"} & forwarded


class _Sink(BaseHTTPRequestHandler):
    """A deployment that reads a body of any size in small pieces and answers 200."""

    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 16)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _upload(port: int, size: int) -> int:
    chunk = b"x" * (1 << 20)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("POST", "/score")
        for name, value in {"Content-Length": str(size), "Content-Type": "application/octet-stream", **KEY}.items():
            connection.putheader(name, value)
        connection.endheaders()
        sent = 0
        while sent < size:
            piece = chunk[: min(len(chunk), size - sent)]
            connection.send(piece)
            sent += len(piece)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_gateway_rss_after_ten_90_mb_uploads_stays_within_64_mib(tmp_path):
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = key_config({"blue": route(f"http://127.0.0.1:{sink.server_port}")}, {"blue": 100})
    config = replace(config, port=port, control_socket=str(tmp_path / "control.sock"))
    supervisor = start_gateway(config, tmp_path / "gateway.json", tmp_path / "gateway.log")
    try:
        gateway_pid = ControlClient(tmp_path / "control.sock").state().pid
        assert _upload(port, 1000) == 200
        before = _rss_kib(gateway_pid)
        for _ in range(10):
            assert _upload(port, 90 * MB) == 200
        after = _rss_kib(gateway_pid)
        assert after - before < 64 * 1024, f"RSS grew from {before} KiB to {after} KiB"
        assert _upload(port, config.max_body_bytes + 1) == 413  # the cap stays
    finally:
        stop_gateway(supervisor)
        sink.shutdown()
        sink.server_close()
