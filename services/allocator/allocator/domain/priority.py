"""Who is seen first: emergencies, then the higher score, then who came first."""

from __future__ import annotations

from collections.abc import Iterable

from allocator.domain.model import Token
from opd_contracts.vocabulary import LIVE, SOURCE_WEIGHTS, Source, queue_key

__all__ = ["priority_score", "queue_order"]


def priority_score(source: Source) -> int:
    """Ten points per unit of source weight: priority 100, follow-up 50, online 30, walk-in 10."""
    return SOURCE_WEIGHTS[source] * 10


def queue_order(tokens: Iterable[Token]) -> list[Token]:
    """The live queue of a slot: tokens consulting or waiting, in the order they are seen."""
    return sorted((t for t in tokens if t.status in LIVE), key=lambda t: queue_key(
        t.status, t.is_emergency, t.priority_score, t.sequence_number))
