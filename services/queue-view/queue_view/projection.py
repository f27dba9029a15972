"""Apply allocator events to the read model, once each, whatever the delivery order.

Every event carries full snapshots of what it changed, so applying it is an upsert of
each snapshot guarded by the per-doctor `seq`: a row only changes when the incoming event
is newer than the one that last wrote it. Redelivered events are recognised by their id.
A batch of events costs five statements, however many events it holds, each executed once
(the rows as arrays, `opd_shared.readmodel.arrays`: executed once per row, PostgreSQL ran
5,600 token upserts for 5,600 bookings): the newest snapshot of each row is picked in
memory, and the database guard does the rest
(`opd_shared.readmodel` holds that machinery; the per-doctor progress is this model's own).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts import EventEnvelope
from opd_shared.readmodel import ArrayInsert, claim, ignoring, keep_newest_snapshots, table_of
from queue_view.models import AppliedEvent, Doctor, DoctorProgress, Slot, Token

__all__ = ["apply_event", "apply_events"]

APPLIED, PROGRESS = table_of(AppliedEvent), table_of(DoctorProgress)
DOCTORS, SLOTS, TOKENS = table_of(Doctor), table_of(Slot), table_of(Token)


# Built once, each executed once per batch with one array per column.
_CLAIM = ignoring(APPLIED, ("event_id", "doctor_id", "seq", "type"), returning=("event_id",))
_ADVANCE = ArrayInsert(PROGRESS, ("doctor_id", "max_seq", "applied_count"),
                       "ON CONFLICT (doctor_id) DO UPDATE SET"
                       " max_seq = greatest(doctor_progress.max_seq, EXCLUDED.max_seq),"
                       " applied_count = doctor_progress.applied_count + EXCLUDED.applied_count")


async def apply_event(session: AsyncSession, event: EventEnvelope) -> bool:
    """Apply `event` inside the caller's transaction; False when it was applied before."""
    [applied] = await apply_events(session, [event])
    return applied


async def apply_events(session: AsyncSession, events: Sequence[EventEnvelope]) -> list[bool]:
    """Apply `events` inside the caller's transaction; per event, False when it had been
    applied before (or came twice in this batch)."""
    claimed = await claim(events, lambda batch: _insert_new(session, batch))
    fresh = claimed.fresh
    if fresh:
        await keep_newest_snapshots(session, fresh, DOCTORS, SLOTS, TOKENS)
        await _advance_progress(session, fresh)
    return claimed.answers


async def _insert_new(session: AsyncSession, events: list[EventEnvelope]) -> set[uuid.UUID]:
    rows = [{"event_id": e.event_id, "doctor_id": e.doctor_id, "seq": e.seq,
             "type": e.type.value} for e in events]
    result = await _CLAIM.execute(session, rows)
    return set(result.scalars()) if result else set()


async def _advance_progress(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
    """Per doctor: the highest seq seen, and how many distinct events were applied (the
    gaps `queue_view.progress` reports). Doctors in ascending order: the lock order."""
    newest: dict[int, int] = {}
    for event in events:
        newest[event.doctor_id] = max(event.seq, newest.get(event.doctor_id, 0))
    counts = Counter(event.doctor_id for event in events)
    await _ADVANCE.execute(session, [
        {"doctor_id": doctor, "max_seq": newest[doctor], "applied_count": counts[doctor]}
        for doctor in sorted(newest)])
