"""Send replay cases to an endpoint, concurrently and at a bounded rate, and time each answer.

Nothing here compares: results carry the fresh response and the case (with its expectation) so report.py
can judge them. A request that gets no HTTP response (refused, reset, timed out) becomes a result with
status 0 and `error` set instead of an exception, so one dead request never stops a run.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence
from urllib.parse import urlsplit

import requests

from localep.exchanges import REDACTED, Response
from localep.replay.cases import ReplayCase, ReplayResult

# Headers that describe one hop or one encoding of the recorded request; requests sets its own.
NOT_REPLAYED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "accept-encoding",
    }
)
_ERRNO_REASON = re.compile(r"\[Errno -?\d+\] [^'\")]+")


class TokenBucket:
    """Lets `rate` acquisitions per second through, with bursts of at most `capacity`.

    An acquisition reserves its slot under the lock and sleeps outside it, so waiting threads queue in
    order and the long-run rate never exceeds `rate`.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


def replay(
    cases: Sequence[ReplayCase],
    base_url: str,
    headers: Optional[Mapping[str, str]] = None,
    concurrency: int = 1,
    rate: Optional[float] = None,
    timeout: float = 30.0,
    on_result: Optional[Callable[[ReplayResult], None]] = None,
) -> List[ReplayResult]:
    """Send every case to `base_url` + its path; results come back in the order of `cases`.

    `headers` (e.g. Authorization for a key-auth endpoint) override the recorded ones; recorded headers
    that were redacted are not sent. At most `concurrency` requests are in flight, and with `rate` at most
    that many start per second. `timeout` bounds connecting and each wait for data (seconds), so a silent
    server cannot hang the run. `on_result` is called as each result arrives, from worker threads.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    limiter = TokenBucket(rate) if rate is not None else None
    sender = _Sender(base_url.rstrip("/"), dict(headers or {}), timeout)

    def run(case: ReplayCase) -> ReplayResult:
        if limiter is not None:
            limiter.acquire()
        result = sender.send(case)
        if on_result is not None:
            on_result(result)
        return result

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="localep-replay")
    try:
        futures: Dict[Future, int] = {pool.submit(run, case): index for index, case in enumerate(cases)}
        results: Dict[int, ReplayResult] = {}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # in-flight requests end within `timeout`
        sender.close()
        raise
    pool.shutdown(wait=True)
    sender.close()
    return [results[index] for index in range(len(cases))]


class _Sender:
    """One requests.Session per worker thread (sessions are not thread-safe), closed at the end."""

    def __init__(self, base_url: str, headers: Dict[str, str], timeout: float):
        self.base_url = base_url
        self.headers = headers
        self.timeout = timeout
        # A local endpoint must not be sent through a corporate proxy taken from the environment.
        # requests treats a None value as "no proxy for this scheme" (its stubs say str only).
        self.proxies: Optional[Dict[str, Any]] = {"http": None, "https": None, "all": None} if _is_loopback(base_url) else None
        self._local = threading.local()
        self._sessions: List[requests.Session] = []
        self._lock = threading.Lock()

    def send(self, case: ReplayCase) -> ReplayResult:
        request = case.request
        sent = time.monotonic()
        try:
            answer = self._session().request(
                request.method,
                self.base_url + request.path,
                headers=replayed_headers(request.headers, self.headers),
                data=request.body,
                timeout=self.timeout,
                allow_redirects=False,
                proxies=self.proxies,
            )
            response = Response(answer.status_code, dict(answer.headers), answer.content)
            error = None
        except requests.Timeout:
            response, error = Response(0), f"timed out after {self.timeout:g}s"
        except requests.RequestException as failure:
            response, error = Response(0), f"request failed: {_short_reason(failure)}"
        latency_ms = (time.monotonic() - sent) * 1000.0
        return ReplayResult(case, response, latency_ms, error)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session


def replayed_headers(recorded: Mapping[str, str], overrides: Mapping[str, str]) -> Dict[str, str]:
    """Recorded headers minus per-hop and redacted ones, then `overrides` (matched case-insensitively)."""
    overridden = {name.lower() for name in overrides}
    merged = {
        name: value
        for name, value in recorded.items()
        if name.lower() not in NOT_REPLAYED_HEADERS and value != REDACTED and name.lower() not in overridden
    }
    merged.update(overrides)
    return merged


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _short_reason(failure: Exception) -> str:
    """"[Errno 111] Connection refused" rather than urllib3's three nested exception reprs."""
    found = _ERRNO_REASON.search(str(failure))
    return found.group(0) if found else str(failure)
