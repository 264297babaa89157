"""The one percentile: nearest rank."""

from __future__ import annotations

from localep.percentile import percentile


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50, 95, 99)
    assert percentile([], 50) is None

