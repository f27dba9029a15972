"""Small helpers the reports share."""

from __future__ import annotations

from typing import Any

from analytics.filters import Filters

__all__ = ["framing", "rate"]


def rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def framing(filters: Filters) -> dict[str, Any]:
    """What every report repeats: the range and the filters it answers for."""
    return {"start": filters.start, "end": filters.end, "filters": filters.echo()}
