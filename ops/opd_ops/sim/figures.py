"""The day's figures as the simulation saw them, in the shape `check` reads from analytics.

Waits use analytics' definitions (copied, not imported: ops talks to services only over
HTTP): whole minutes under an hour, coarser beyond, and percentiles interpolated like
PostgreSQL's percentile_cont, so the same tokens give the same medians.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from opd_contracts.vocabulary import HOLDS_PLACE, TokenStatus
from opd_ops.sim.ledger import Ledger
from opd_ops.sim.scenario import SOURCES

__all__ = ["METRICS", "STATUSES", "observed", "percentile", "wait_minutes", "waits_of"]

STATUSES = tuple(status.value for status in TokenStatus)
# analytics' metric names, and the timestamps each is measured between
METRICS = {
    "booked_to_check_in": ("allocated_at", "checked_in_at"),
    "check_in_to_start": ("checked_in_at", "consultation_started_at"),
    "booked_to_start": ("allocated_at", "consultation_started_at"),
    "consultation": ("consultation_started_at", "completed_at"),
}
Figures = dict[str, Any]


def wait_minutes(start: str | None, end: str | None) -> int | None:
    if start is None or end is None:
        return None
    seconds = (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    minutes = max(seconds, 0) / 60
    step = 1 if minutes < 60 else 5 if minutes < 180 else 30 if minutes < 1440 else 1440
    return math.floor(minutes / step) * step


def percentile(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = ordered[math.floor(position)], ordered[math.ceil(position)]
    return round(low + (high - low) * (position - math.floor(position)), 2)


def waits_of(minutes: list[float]) -> tuple[int, float | None, float | None]:
    return len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9)


def _minutes(tokens: list[dict[str, Any]], metric: str) -> list[float]:
    start, end = METRICS[metric]
    found = (wait_minutes(t.get(start), t.get(end)) for t in tokens)
    return [m for m in found if m is not None]


def _by_date(ledger: Ledger, date: dt.date) -> Figures:
    tokens = [t for t in ledger.tokens.values() if ledger.windows[t["slot_id"]].date == date]
    status, source = Counter(t["status"] for t in tokens), Counter(t["source"] for t in tokens)
    return {
        f"{date} slots": sum(w.date == date for w in ledger.windows.values()),
        f"{date} tokens": len(tokens),
        f"{date} by status": {s: status[s] for s in STATUSES},
        f"{date} by source": {s: source[s] for s in SOURCES},
    }


def _waits(ledger: Ledger) -> Figures:
    figures: Figures = {}
    for metric in METRICS:
        per_doctor = {d: waits_of(_minutes([t for t in ledger.tokens.values()
                                            if t["doctor_id"] == d], metric))
                      for d in ledger.doctors}
        figures[f"wait {metric}: tokens"] = sum(n for n, _, _ in per_doctor.values())
        figures[f"wait {metric}: median/p90 by doctor"] = per_doctor
    return figures


def _moves(ledger: Ledger) -> Figures:
    kinds = Counter(m.kind for m in ledger.moves)
    later = sum(ledger.windows[m.to_slot].date > ledger.windows[m.from_slot].date
                for m in ledger.moves)
    return {"moves: doctor delay": kinds["doctor_delay"],
            "moves: emergency bump": kinds["emergency_bump"], "moves to a later day": later}


def observed(ledger: Ledger, dates: list[dt.date]) -> Figures:
    """Every figure checked against analytics, keyed by the label the table shows."""
    tokens = list(ledger.tokens.values())
    figures: Figures = {"doctors registered": len(ledger.doctors)}
    for date in dates:
        figures |= _by_date(ledger, date)
    figures |= {
        "emergencies": sum(t["is_emergency"] for t in tokens),
        "overflows": sum(t["is_overflow"] for t in tokens),
        "places offered": sum(w.capacity for w in ledger.windows.values()),
        "places held": sum(t["status"] in HOLDS_PLACE for t in tokens),
        "bookings (arrivals)": len(tokens),
    }
    return figures | _moves(ledger) | _waits(ledger)
