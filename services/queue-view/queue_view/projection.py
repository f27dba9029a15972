"""Apply allocator events to the read model, once each, whatever the delivery order.

Every event carries full snapshots of what it changed, so applying it is an upsert of
each snapshot guarded by the per-doctor `seq`: a row only changes when the incoming event
is newer than the one that last wrote it. Redelivered events are recognised by their id.
A batch of events costs five statements, however many events it holds: the newest
snapshot of each row is picked in memory, and the database guard does the rest.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts import DoctorRecord, EventEnvelope, SlotRecord, TokenRecord
from opd_shared.event_batches import first_copies
from queue_view.models import AppliedEvent, Base, Doctor, DoctorProgress, Slot, Token

__all__ = ["apply_event", "apply_events"]

Record = DoctorRecord | SlotRecord | TokenRecord


async def apply_event(session: AsyncSession, event: EventEnvelope) -> bool:
    """Apply `event` inside the caller's transaction; False when it was applied before."""
    [applied] = await apply_events(session, [event])
    return applied


async def apply_events(session: AsyncSession, events: Sequence[EventEnvelope]) -> list[bool]:
    """Apply `events` inside the caller's transaction; per event, False when it had been
    applied before (or came twice in this batch)."""
    applied = first_copies(events, await _claim(session, events))
    fresh = [event for event, new in zip(events, applied, strict=True) if new]
    if fresh:
        await _upsert(session, Doctor, [(e.doctor, e.seq) for e in fresh if e.doctor])
        await _upsert(session, Slot, [(slot, e.seq) for e in fresh for slot in e.slots])
        await _upsert(session, Token, [(token, e.seq) for e in fresh for token in e.tokens])
        await _advance_progress(session, fresh)
    return applied


async def _claim(session: AsyncSession, events: Sequence[EventEnvelope]) -> set[uuid.UUID]:
    """The ids of the events applied by no one before. A concurrent copy of the same event
    waits on its row's unique key until the first commits, then inserts nothing: exactly
    one transaction applies each event. Sorted, so two batches lock keys in one order."""
    rows = {e.event_id: {"event_id": e.event_id, "doctor_id": e.doctor_id, "seq": e.seq,
                         "type": e.type.value} for e in events}
    table = AppliedEvent.__table__
    statement = (
        insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
    return set((await session.scalars(statement, [rows[key] for key in sorted(rows)])).all())


def _rows(model: type[Base], snapshots: Iterable[tuple[Record, int]]) -> list[dict[str, Any]]:
    # Attributes, not model_dump(): the contract serializes some fields for the wire (times
    # as "HH:MM"), while the table wants Python values. Fields the table does not know
    # (a newer contract) are left out, not fatal. Per id the newest snapshot wins (of equal
    # versions, the later: one event may carry a row twice); ids sorted so concurrent
    # batches lock rows in one order.
    names = [c.name for c in model.__table__.columns if c.name != "version"]
    newest: dict[int, tuple[Record, int]] = {}
    for record, version in snapshots:
        if record.id not in newest or version >= newest[record.id][1]:
            newest[record.id] = (record, version)
    return [
        {**{name: getattr(record, name) for name in names}, "version": version}
        for record, version in (newest[key] for key in sorted(newest))
    ]


async def _upsert(
    session: AsyncSession, model: type[Base], snapshots: Iterable[tuple[Record, int]]
) -> None:
    rows = _rows(model, snapshots)
    if not rows:
        return
    # One statement executed for many rows: compiled once, whatever the batch's size.
    await session.execute(_upsert_statement(model.__table__, tuple(rows[0])), rows)


@functools.cache
def _upsert_statement(table: Table, columns: tuple[str, ...]) -> Insert:
    """Built once per table and set of columns: building it took a twentieth of the
    service's CPU under load."""
    statement = insert(table)
    changed = {name: statement.excluded[name] for name in columns if name != "id"}
    return statement.on_conflict_do_update(
        index_elements=["id"], set_=changed, where=table.c.version < statement.excluded.version)


async def _advance_progress(session: AsyncSession, events: Sequence[EventEnvelope]) -> None:
    newest: dict[int, int] = {}
    for event in events:
        newest[event.doctor_id] = max(event.seq, newest.get(event.doctor_id, 0))
    counts = Counter(event.doctor_id for event in events)
    table = DoctorProgress.__table__
    statement = insert(table)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["doctor_id"],
        set_={
            "max_seq": func.greatest(table.c.max_seq, statement.excluded.max_seq),
            "applied_count": table.c.applied_count + statement.excluded.applied_count,
        },
    ), [{"doctor_id": doctor, "max_seq": newest[doctor], "applied_count": counts[doctor]}
        for doctor in sorted(newest)])
