"""Per-deployment request counters and latency percentiles over a bounded window of recent requests."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Deque, List, Optional

from localep.gateway.status import Latency, TrafficSnapshot
from localep.percentile import percentile

LATENCY_WINDOW = 2048


class TrafficStats:
    """Counts what one deployment answered (or, for mirror stats, what its mirrored copies got)."""

    def __init__(self, window: int = LATENCY_WINDOW) -> None:
        self._lock = threading.Lock()
        self._latencies: Deque[float] = deque(maxlen=window)
        self._statuses: Counter = Counter()
        self._errors: Counter = Counter()
        self.requests = 0
        self.error_responses = 0

    def record(self, status: int, latency_ms: float, error: Optional[str] = None) -> None:
        with self._lock:
            self.requests += 1
            self._statuses[status] += 1
            if status >= 400:
                self.error_responses += 1
            if error:
                self._errors[error] += 1
            self._latencies.append(latency_ms)

    def snapshot(self) -> TrafficSnapshot:
        with self._lock:
            latencies: List[float] = sorted(self._latencies)
            statuses = {str(status): count for status, count in sorted(self._statuses.items())}
            errors = dict(self._errors)
            requests, error_responses = self.requests, self.error_responses
        latency = Latency(window=len(latencies), p50=percentile(latencies, 50), p95=percentile(latencies, 95),
                          p99=percentile(latencies, 99))
        return TrafficSnapshot(requests=requests, errors=error_responses, status_counts=statuses, error_reasons=errors,
                               latency_ms=latency)
