"""The runner against a real HTTP server on 127.0.0.1 (stdlib, in a thread)."""

from __future__ import annotations

import json
import socket
import threading
import time
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

from localep.errors import Location
from localep.exchanges import Request, Response
from localep.replay.cases import ReplayCase
from localep.replay.report import build_report, junit_xml
from localep.replay.runner import TokenBucket, replay, replayed_headers
from serving import serving


class ScoringServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScoringHandler)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen_headers: List[Dict[str, str]] = []
        self.arrivals: List[float] = []  # time.monotonic() as each request came in

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ScoringHandler(BaseHTTPRequestHandler):
    """POST /score?sleep=S&status=N echoes {"echo": body, "path": ...} after sleeping S seconds."""

    server: ScoringServer

    def do_POST(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            self.server.seen_headers.append(dict(self.headers.items()))
            self.server.arrivals.append(time.monotonic())
        try:
            query = parse_qs(urlsplit(self.path).query)
            time.sleep(float(query.get("sleep", ["0"])[0]))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            payload = json.dumps({"echo": json.loads(body or b"null"), "path": self.path}).encode()
            self.send_response(int(query.get("status", ["200"])[0]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("azureml-model-deployment", "blue")
            self.end_headers()
            self.wfile.write(payload)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: test output should show failures, not access logs."""


@pytest.fixture
def server() -> Iterator[ScoringServer]:
    with serving(ScoringServer()) as httpd:
        yield httpd


def case(
    number: int, path: str = "/score", expected: Optional[Response] = None, headers: Optional[Dict[str, str]] = None
) -> ReplayCase:
    body = json.dumps({"n": number}).encode()
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    request = Request("POST", path, request_headers, body)
    return ReplayCase(f"case-{number}", request, expected, Location(Path("t.jsonl"), number))


def echo(number: int, path: str = "/score") -> Response:
    body = json.dumps({"echo": {"n": number}, "path": path}).encode()
    return Response(200, {"Content-Type": "application/json"}, body)


def test_results_come_back_in_case_order_with_responses(server: ScoringServer):
    cases = [case(n, f"/score?sleep={0.05 * (5 - n)}") for n in range(5)]
    results = replay(cases, server.url, concurrency=5)
    assert [result.case.name for result in results] == [c.name for c in cases]
    for number, result in enumerate(results):
        assert result.error is None and result.response.status == 200
        assert json.loads(result.response.body)["echo"] == {"n": number}
        assert result.deployment == "blue"
        assert result.latency_ms > 0


def test_auth_override_replaces_recorded_and_redacted_headers_are_not_sent(server: ScoringServer):
    recorded = {"Authorization": "<redacted>", "X-Api-Key": "<redacted>", "X-Trace": "t1", "Content-Length": "999"}
    replay([case(1, headers=recorded)], server.url, headers={"authorization": "Bearer fresh"})
    (seen,) = server.seen_headers
    lowered = {name.lower(): value for name, value in seen.items()}
    assert lowered["authorization"] == "Bearer fresh"
    assert "x-api-key" not in lowered
    assert lowered["x-trace"] == "t1"
    assert lowered["content-length"] == str(len(b'{"n": 1}'))


def test_replayed_headers_drops_hop_by_hop_and_overrides_case_insensitively():
    merged = replayed_headers(
        {"Host": "old:1", "Connection": "close", "authorization": "Bearer old", "Accept": "*/*"},
        {"Authorization": "Bearer new"},
    )
    assert merged == {"Accept": "*/*", "Authorization": "Bearer new"}


def test_concurrency_is_honoured(server: ScoringServer):
    cases = [case(n, "/score?sleep=0.2") for n in range(8)]
    began = time.monotonic()
    results = replay(cases, server.url, concurrency=4)
    elapsed = time.monotonic() - began
    assert all(result.error is None for result in results)
    assert server.max_in_flight == 4
    assert 0.35 <= elapsed < 1.5  # two waves of 0.2 s, not eight and not one


def test_concurrency_one_is_sequential(server: ScoringServer):
    replay([case(n, "/score?sleep=0.05") for n in range(4)], server.url, concurrency=1)
    assert server.max_in_flight == 1


def test_rate_is_honoured(server: ScoringServer):
    began = time.monotonic()
    replay([case(n) for n in range(6)], server.url, concurrency=6, rate=10.0)
    elapsed = time.monotonic() - began
    assert max(server.arrivals) - min(server.arrivals) >= 0.45  # 6 requests at 10/s: 5 gaps of 0.1 s
    assert elapsed < 2.0


def test_token_bucket_spaces_acquisitions_by_the_rate():
    now = [0.0]
    sleeps: List[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    bucket = TokenBucket(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        bucket.acquire()  # all at t=0: the first is free, then reservations 0.25 s apart
    assert sleeps == pytest.approx([0.25, 0.5])
    now[0] = 10.0
    bucket.acquire()  # long idle: the bucket refilled (to its capacity of one)
    assert sleeps == pytest.approx([0.25, 0.5])


def test_connection_refused_becomes_a_status_zero_result():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    began = time.monotonic()
    (result,) = replay([case(1)], f"http://127.0.0.1:{port}", timeout=2.0)
    assert time.monotonic() - began < 2.0
    assert result.response.status == 0
    assert result.error is not None and "refused" in result.error.lower()


def test_a_slow_server_times_out_instead_of_hanging(server: ScoringServer):
    began = time.monotonic()
    (result,) = replay([case(1, "/score?sleep=3")], server.url, timeout=0.3)
    assert time.monotonic() - began < 2.0
    assert result.response.status == 0 and result.error == "timed out after 0.3s"


def test_replay_report_and_junit_end_to_end(server: ScoringServer):
    cases = [
        case(1, expected=echo(1)),
        case(2, expected=echo(99)),
        case(3, "/score?status=424", expected=echo(3, "/score?status=424")),
        case(4),  # no expectation: a 2xx is enough
    ]
    report = build_report(replay(cases, server.url, concurrency=2))
    assert [outcome.passed for outcome in report.cases] == [True, False, False, True]
    assert report.cases[1].differences[0].path == "$.echo.n"
    assert report.cases[2].differences[0].path == "status"
    suite = ElementTree.fromstring(junit_xml(report)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    assert len(suite.findall("testcase/failure")) == 2
