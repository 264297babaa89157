"""The one percentile localep reports (gateway stats, replay reports): nearest rank, so every value shown is a
latency that was actually measured."""

from __future__ import annotations

import math
from typing import Optional, Sequence


def percentile(values: Sequence[float], percent: float) -> Optional[float]:
    """Nearest-rank percentile of `values` (any order) for `percent` in 0..100; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
