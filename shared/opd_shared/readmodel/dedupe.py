"""Each event applied once: the table that remembers applied events, and the claim on it.

A read model keeps one row per distinct event it applied, keyed by the event's id (queue-view's
`applied_events`, analytics' `event_facts`, which also keeps the event whole). Applying a
batch starts by inserting the batch's ids there, skipping those already present: the ids
that went in are the events nobody applied before. A concurrent copy of the same event waits
on its row's key until the first transaction commits, then inserts nothing, so exactly one
transaction applies each event.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from opd_contracts import EventEnvelope

__all__ = ["Claimed", "EventKeyColumns", "InsertNew", "claim", "first_copies"]

# Inserts the events' keys, skipping those present; returns the ids it inserted.
InsertNew = Callable[[list[EventEnvelope]], Awaitable[set[uuid.UUID]]]


class EventKeyColumns:
    """What identifies an applied event, and where in its doctor's history it stands."""

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    doctor_id: Mapped[int]
    seq: Mapped[int]


@dataclass(frozen=True)
class Claimed:
    fresh: list[EventEnvelope]  # the first copy of each event applied by no one before
    answers: list[bool]  # per event of the batch: applied now (False: a repeat)


async def claim(events: Sequence[EventEnvelope], insert_new: InsertNew) -> Claimed:
    """Claim the batch's events with `insert_new`: each id once, in ascending order, so two
    batches sharing events wait for each other in one order, never in a circle."""
    firsts: dict[uuid.UUID, EventEnvelope] = {}
    for event in events:
        firsts.setdefault(event.event_id, event)
    new = await insert_new([firsts[key] for key in sorted(firsts)]) if firsts else set()
    fresh = [event for event in firsts.values() if event.event_id in new]
    return Claimed(fresh, first_copies(events, new))


def first_copies(events: Sequence[EventEnvelope], new: set[uuid.UUID]) -> list[bool]:
    """What an `ApplyBatch` answers, given the ids it found `new`: per event, whether it
    is the first copy of one of them (a second copy in the same batch is a repeat)."""
    seen: set[uuid.UUID] = set()
    answers = []
    for event in events:
        answers.append(event.event_id in new and event.event_id not in seen)
        seen.add(event.event_id)
    return answers
