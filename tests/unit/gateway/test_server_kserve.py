"""KServe v2 (Triton) routes through the endpoint: /v2/... at the root and /score/v2/... (forwarded as /v2/...),
byte for byte, binary tensor bodies and their headers included; only for deployments whose server speaks kserve."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Tuple

import pytest
from gateway_fixtures import Keys, call, make_config, route

BINARY_BODY = json.dumps({"inputs": [{"name": "x", "shape": [4], "datatype": "FP32",
                                      "parameters": {"binary_data_size": 16}}]}).encode() + bytes(range(16))


class KServeServer:
    """A real HTTP server speaking the KServe v2 routes Triton serves (health, metadata, infer with binary data)."""

    def __init__(self) -> None:
        self.seen: List[Tuple[str, str, dict, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.record(b"")
                if self.path == "/v2/health/ready":
                    self.answer(200, b"", {})
                elif self.path == "/v2/models/m":
                    self.answer(200, b'{"name":"m","platform":"onnxruntime_onnx"}', {"Content-Type": "application/json"})
                else:
                    self.answer(404, b'{"error":"not found"}', {})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.record(body)
                header_length = self.headers.get("Inference-Header-Content-Length")
                reply_head = b'{"outputs":[{"name":"y","parameters":{"binary_data_size":4}}]}'
                self.answer(200, reply_head + b"\x00\x01\x02\xff", {
                    "Content-Type": "application/octet-stream",
                    "Inference-Header-Content-Length": str(len(reply_head)),
                    "X-Request-Header-Length": header_length or "-",
                })

            def record(self, body: bytes) -> None:
                server.seen.append((self.command, self.path, dict(self.headers.items()), body))

            def answer(self, status: int, body: bytes, headers: dict) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def triton():
    server = KServeServer()
    yield server
    server.close()


KEY = "k" * 43
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize("prefix", ["", "/score"])
def test_v2_routes_pass_through_byte_for_byte(triton, gateways, prefix):
    config = make_config({"triton": route(triton.url, protocol="kserve")}, {"triton": 100}, auth_mode="key",
                         keys=Keys(primary=KEY, secondary="s" * 43))
    gateway = gateways(config)
    assert call(gateway.port, "GET", f"{prefix}/v2/health/ready", headers=AUTH)[0] == 200
    status, _, body = call(gateway.port, "GET", f"{prefix}/v2/models/m", headers=AUTH)
    assert status == 200 and json.loads(body)["platform"] == "onnxruntime_onnx"
    header_length = str(len(BINARY_BODY) - 16)
    status, headers, body = call(gateway.port, "POST", f"{prefix}/v2/models/m/infer", body=BINARY_BODY,
                                 headers={**AUTH, "Inference-Header-Content-Length": header_length,
                                          "Content-Type": "application/octet-stream"})
    assert status == 200 and body.endswith(b"\x00\x01\x02\xff")
    assert headers["inference-header-content-length"] == str(len(body) - 4)
    assert headers["x-request-header-length"] == header_length and headers["azureml-model-deployment"] == "triton"
    method, path, forwarded, sent = triton.seen[-1]
    assert (method, path, sent) == ("POST", "/v2/models/m/infer", BINARY_BODY)
    assert "Authorization" not in forwarded
    assert call(gateway.port, "GET", f"{prefix}/v2/models/m", headers={})[0] == 401
    assert call(gateway.port, "GET", f"{prefix}/v2/nope", headers=AUTH)[0] == 424  # the server's own 404


def test_v2_routes_follow_pins_and_refuse_azureml_deployments(triton, upstreams, gateways):
    blue = upstreams("blue")
    config = make_config({"triton": route(triton.url, protocol="kserve"), "blue": route(blue.url)}, {"blue": 100})
    gateway = gateways(config)
    status, _, body = call(gateway.port, "GET", "/v2/models/m")
    assert status == 404 and "does not serve KServe v2" in json.loads(body)["error"]["message"] and blue.hits == 0
    pinned = call(gateway.port, "GET", "/v2/models/m", headers={"azureml-model-deployment": "triton"})
    assert pinned[0] == 200 and pinned[1]["azureml-model-deployment"] == "triton"
    assert call(gateway.port, "POST", "/score", body={"x": 1})[0] == 200 and blue.hits == 1
    assert call(gateway.port, "GET", "/v3/models/m")[0] == 404
