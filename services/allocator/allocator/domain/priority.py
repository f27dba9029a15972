"""Who is seen first: emergencies, then the higher score, then who came first."""

from __future__ import annotations

from collections.abc import Iterable

from allocator.domain.model import Token
from opd_contracts.vocabulary import SOURCE_WEIGHTS, Source

__all__ = ["priority_score", "queue_order"]


def priority_score(source: Source) -> int:
    """Ten points per unit of source weight: priority 100, follow-up 50, online 30, walk-in 10."""
    return SOURCE_WEIGHTS[source] * 10


def _queue_key(token: Token) -> tuple[bool, bool, int, int]:
    # The patient already consulting stays at the head; then emergencies; then score; then arrival.
    return (not token.consultation_started_at, not token.is_emergency, -token.priority_score,
            token.sequence_number)


def queue_order(tokens: Iterable[Token]) -> list[Token]:
    """The live queue of a slot: tokens consulting or waiting, in the order they are seen."""
    live = [t for t in tokens if t.is_waiting or t.status == "consulting"]
    return sorted(live, key=_queue_key)
