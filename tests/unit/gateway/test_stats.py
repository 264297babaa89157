"""Traffic stats: a bounded latency window, unbounded counts."""

from __future__ import annotations

from localep.gateway.stats import TrafficStats


def test_stats_window_is_bounded_but_counts_are_not():
    stats = TrafficStats(window=10)
    for index in range(25):
        stats.record(500 if index % 5 == 0 else 200, float(index), "model_error" if index % 5 == 0 else None)
    snapshot = stats.snapshot()
    assert snapshot.requests == 25 and snapshot.errors == 5
    assert snapshot.status_counts == {"200": 20, "500": 5}
    assert snapshot.latency_ms.window == 10 and snapshot.latency_ms.p50 == 19.0

