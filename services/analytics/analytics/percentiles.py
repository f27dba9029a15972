"""Percentiles from a histogram, as PostgreSQL's `percentile_cont` computes them from rows.

Histograms come either from the `daily_waits` roll-up or from grouping per-token rows;
one function turns both into figures, so a filter never changes the definition.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["percentile"]


def percentile(histogram: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """Linear interpolation between the two values around `fraction * (n - 1)`."""
    pairs = sorted((value, count) for value, count in histogram if count > 0)
    total = sum(count for _, count in pairs)
    if not total:
        return None
    position = fraction * (total - 1)
    low, high = _nth(pairs, math.floor(position)), _nth(pairs, math.ceil(position))
    return round(low + (high - low) * (position - math.floor(position)), 2)


def _nth(pairs: list[tuple[int, int]], index: int) -> int:
    """The value at 0-based `index` in the sorted multiset."""
    seen = 0
    for value, count in pairs:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)
