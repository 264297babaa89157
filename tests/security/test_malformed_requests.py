"""Hostile HTTP as raw bytes against a real gateway in front of a real upstream: every case is refused with 400
(or 413/404/401 where that is the right answer) and none reaches the deployment."""

from __future__ import annotations

import socket
import time

import pytest
from gateway_fixtures import Keys, make_config, route

KEY = "k" * 43


def send_raw(port: int, data: bytes, timeout_s: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    return int(answer[9:12])


@pytest.fixture
def endpoint(upstreams, gateways):
    upstream = upstreams("blue")
    gateway = gateways(make_config({"blue": route(upstream.url)}, {"blue": 100}, auth_mode="key",
                                   keys=Keys(primary=KEY, secondary="s" * 43)))
    return gateway, upstream


def request(port: int, head: str, body: bytes = b"", auth: bool = True, host: bool = True) -> bytes:
    lines = head.split("\n")
    extra = ([f"Host: 127.0.0.1:{port}"] if host else []) + ([f"Authorization: Bearer {KEY}"] if auth else [])
    return ("\r\n".join([lines[0], *extra, *lines[1:]]) + "\r\n\r\n").encode("latin-1") + body


# (name, head after the request line's own headers, body): each must be refused before the deployment sees it.
CORPUS = [
    ("xchunked", "POST /score HTTP/1.1\nTransfer-Encoding: xchunked", b"5\r\nhello\r\n0\r\n\r\n"),
    ("chunked then identity", "POST /score HTTP/1.1\nTransfer-Encoding: chunked, identity", b"5\r\nhello\r\n0\r\n\r\n"),
    ("two transfer-encodings", "POST /score HTTP/1.1\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked",
     b"0\r\n\r\n"),
    ("te and content-length", "POST /score HTTP/1.1\nContent-Length: 5\nTransfer-Encoding: chunked",
     b"5\r\nhello\r\n0\r\n\r\n"),
    ("duplicate content-length", "POST /score HTTP/1.1\nContent-Length: 5\nContent-Length: 5", b"hello"),
    ("conflicting content-length", "POST /score HTTP/1.1\nContent-Length: 5\nContent-Length: 6", b"hello!"),
    ("content-length list", "POST /score HTTP/1.1\nContent-Length: 5, 5", b"hello"),
    ("plus sign length", "POST /score HTTP/1.1\nContent-Length: +5", b"hello"),
    ("underscore length", "POST /score HTTP/1.1\nContent-Length: 0_5", b"hello"),
    ("negative length", "POST /score HTTP/1.1\nContent-Length: -5", b"hello"),
    ("hex chunk size", "POST /score HTTP/1.1\nTransfer-Encoding: chunked", b"0x5\r\nhello\r\n0\r\n\r\n"),
    ("underscore chunk size", "POST /score HTTP/1.1\nTransfer-Encoding: chunked", b"5_0\r\nhello\r\n0\r\n\r\n"),
    ("bare CR in a header value", "POST /score HTTP/1.1\nX-A: a\rInjected: yes\nContent-Length: 0", b""),
    ("NUL in a header value", "POST /score HTTP/1.1\nX-A: a\x00b\nContent-Length: 0", b""),
    ("control character in a header value", "POST /score HTTP/1.1\nX-A: a\x01b\nContent-Length: 0", b""),
    ("DEL in a header value", "POST /score HTTP/1.1\nX-A: a\x7fb\nContent-Length: 0", b""),
    ("control character in the target", "POST /sc\x01ore HTTP/1.1\nContent-Length: 0", b""),
    ("NUL in the target", "POST /score\x00 HTTP/1.1\nContent-Length: 0", b""),
    ("bare CR in the target", "POST /score\rX HTTP/1.1\nContent-Length: 0", b""),
    ("space in a header name", "POST /score HTTP/1.1\nX A: b\nContent-Length: 0", b""),
    ("space before the colon", "POST /score HTTP/1.1\nX-A : b\nContent-Length: 0", b""),
    ("obsolete line folding", "POST /score HTTP/1.1\nX-A: a\n folded\nContent-Length: 0", b""),
    ("absolute-form target", "POST http://127.0.0.1/score HTTP/1.1\nContent-Length: 0", b""),
    ("http/2 preface", "PRI * HTTP/2.0\n\nSM", b""),
    ("unknown version", "POST /score HTTP/1.7\nContent-Length: 0", b""),
    ("too many headers", "POST /score HTTP/1.1\n" + "\n".join(f"X-{i}: v" for i in range(150)), b""),
]


@pytest.mark.parametrize("name,head,body", CORPUS, ids=[case[0] for case in CORPUS])
def test_malformed_request_is_400_and_never_forwarded(endpoint, name, head, body):
    gateway, upstream = endpoint
    answer = send_raw(gateway.port, request(gateway.port, head, body))
    assert status_of(answer) == 400, answer[:200]
    assert upstream.hits == 0


def test_a_12_mb_head_is_refused_without_being_kept(endpoint):
    gateway, upstream = endpoint
    head = request(gateway.port, "POST /score HTTP/1.1\nX-Big: " + "a" * (12 * 1024 * 1024) + "\nContent-Length: 0")
    assert status_of(send_raw(gateway.port, head)) == 400 and upstream.hits == 0


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1:1", "localhost.evil.example"])
def test_a_foreign_host_is_refused_so_dns_rebinding_cannot_reach_the_endpoint(endpoint, host):
    gateway, upstream = endpoint
    raw = f"POST /score HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 0\r\n\r\n"
    assert status_of(send_raw(gateway.port, raw.encode())) == 400 and upstream.hits == 0


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_the_endpoint_own_addresses_are_accepted(endpoint, host):
    gateway, upstream = endpoint
    raw = (f"POST /score HTTP/1.1\r\nHost: {host.format(port=gateway.port)}\r\nAuthorization: Bearer {KEY}\r\n"
           "Content-Length: 2\r\nConnection: close\r\n\r\n{}")
    assert status_of(send_raw(gateway.port, raw.encode())) == 200 and upstream.hits == 1


def test_a_well_formed_chunked_request_is_decoded_and_forwarded_with_a_length(endpoint):
    gateway, upstream = endpoint
    raw = request(gateway.port, "POST /score HTTP/1.1\nTransfer-Encoding: chunked\nConnection: close",
                  b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    assert status_of(send_raw(gateway.port, raw)) == 200
    _method, _path, headers, body = upstream.requests[0]
    assert body == b"hello world" and headers["Content-Length"] == "11" and "Transfer-Encoding" not in headers


def test_a_body_over_the_cap_is_413_from_its_declared_length(upstreams, gateways):
    upstream = upstreams("blue")
    gateway = gateways(make_config({"blue": route(upstream.url)}, {"blue": 100}, max_body_bytes=1000))
    raw = f"POST /score HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\nContent-Length: 1001\r\n\r\n".encode()
    assert status_of(send_raw(gateway.port, raw)) == 413
    chunked = (f"POST /score HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3e9\r\n" + "a" * 1001 + "\r\n0\r\n\r\n").encode()
    assert status_of(send_raw(gateway.port, chunked)) == 413 and upstream.hits == 0


def test_expect_100_continue_is_answered_only_for_a_good_key(endpoint):
    gateway, _upstream = endpoint
    without_key = request(gateway.port, "POST /score HTTP/1.1\nExpect: 100-continue\nContent-Length: 2", auth=False)
    assert status_of(send_raw(gateway.port, without_key, timeout_s=2)) == 401
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(request(gateway.port, "POST /score HTTP/1.1\nExpect: 100-continue\nContent-Length: 2\n"
                                           "Connection: close"))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"{}")
        assert b"HTTP/1.1 200" in sock.recv(65536)
