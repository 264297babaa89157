"""Deadlines are totals, not per read, and the connection cap answers clearly: real sockets, real servers."""

from __future__ import annotations

import socket
import time

from gateway_fixtures import call, make_config, route

from localep.gateway.http1 import Limits
from security.test_malformed_requests import status_of
from serving import accepting


def trickling_upstream(byte_every_s: float):
    """An upstream that answers 200 at once and then sends its 20-byte body one byte at a time."""

    def serve(connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n")
            for _ in range(20):
                time.sleep(byte_every_s)
                connection.sendall(b"x")
        except OSError:
            pass
        finally:
            connection.close()

    return accepting(serve)


def test_request_timeout_ms_bounds_the_whole_upstream_answer(gateways):
    listener = trickling_upstream(0.2)  # 4 s for the whole answer, never 0.2 s without a byte
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        gateway = gateways(make_config({"slow": route(url, request_timeout_ms=1000)}, {"slow": 100}))
        started = time.monotonic()
        assert call(gateway.port)[0] == 408
        assert 0.9 < time.monotonic() - started < 2.5
    finally:
        listener.close()


def test_a_request_trickled_byte_by_byte_is_cut_off_at_the_head_deadline(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}), limits=Limits(head_deadline_s=1.0))
    head = f"POST /score HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    started = time.monotonic()
    answer = b""
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.settimeout(0.2)
        for index in range(len(head)):  # one byte every 0.2 s: each read is quick, the request never completes
            try:
                sock.send(head[index:index + 1])
                answer = sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if answer:
                break
    assert status_of(answer) == 408 and time.monotonic() - started < 3 and blue.hits == 0


def test_past_the_connection_cap_the_oldest_idle_connection_makes_room(upstreams, gateways):
    blue = upstreams("blue")
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}), limits=Limits(max_connections=5))
    held = [socket.create_connection(("127.0.0.1", gateway.port), timeout=5) for _ in range(5)]
    try:
        time.sleep(0.2)
        assert call(gateway.port)[0] == 200
        held[0].settimeout(2)
        assert held[0].recv(4096) == b""  # the oldest was closed for the newcomer
        assert gateway.state().connections.evicted == 1
    finally:
        for sock in held:
            sock.close()


def test_past_the_connection_cap_with_every_connection_answering_a_new_one_gets_503(upstreams, gateways):
    blue = upstreams("blue", delay_s=1.5)
    gateway = gateways(make_config({"blue": route(blue.url)}, {"blue": 100}), limits=Limits(max_connections=3))
    request = f"POST /score HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    busy = [socket.create_connection(("127.0.0.1", gateway.port), timeout=5) for _ in range(3)]
    try:
        for sock in busy:
            sock.sendall(request)
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as extra:
            answer = extra.recv(4096)
        assert status_of(answer) == 503 and b"TooManyConnections" in answer
        assert all(status_of(sock.recv(4096)) == 200 for sock in busy)  # none of them was cut off
    finally:
        for sock in busy:
            sock.close()
