"""Apply one allocator event to the read model, once, whatever the delivery order.

Every event carries full snapshots of what it changed, so applying it is an upsert of
each snapshot guarded by the per-doctor `seq`: a row only changes when the incoming event
is newer than the one that last wrote it. Redelivered events are recognised by their id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from opd_shared.contracts import DoctorRecord, EventEnvelope, SlotRecord, TokenRecord
from queue_view.models import AppliedEvent, Base, Doctor, DoctorProgress, Slot, Token

__all__ = ["apply_event"]

Record = DoctorRecord | SlotRecord | TokenRecord


async def apply_event(session: AsyncSession, event: EventEnvelope) -> bool:
    """Apply `event` inside the caller's transaction; False when it was applied before."""
    if not await _claim(session, event):
        return False
    if event.doctor is not None:
        await _upsert(session, Doctor, [event.doctor], event.seq)
    await _upsert(session, Slot, event.slots, event.seq)
    await _upsert(session, Token, event.tokens, event.seq)
    await _advance_progress(session, event)
    return True


async def _claim(session: AsyncSession, event: EventEnvelope) -> bool:
    # A concurrent copy of the same event waits on this row's unique key until the first
    # commits, then inserts nothing: exactly one transaction applies each event.
    statement = (
        insert(AppliedEvent)
        .values(event_id=event.event_id, doctor_id=event.doctor_id, seq=event.seq,
                type=event.type.value)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(AppliedEvent.event_id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


def _rows(model: type[Base], records: Iterable[Record], version: int) -> list[dict[str, Any]]:
    # Attributes, not model_dump(): the contract serializes some fields for the wire (times
    # as "HH:MM"), while the table wants Python values. Fields the table does not know
    # (a newer contract) are left out, not fatal. Last snapshot of an id wins; ids sorted so
    # concurrent events lock rows in one order.
    names = [c.name for c in model.__table__.columns if c.name != "version"]
    by_id = {record.id: record for record in records}
    return [
        {**{name: getattr(by_id[key], name) for name in names}, "version": version}
        for key in sorted(by_id)
    ]


async def _upsert(
    session: AsyncSession, model: type[Base], records: Iterable[Record], version: int
) -> None:
    rows = _rows(model, records, version)
    if not rows:
        return
    table = model.__table__
    statement = insert(model).values(rows)
    changed = {name: statement.excluded[name] for name in rows[0] if name != "id"}
    await session.execute(statement.on_conflict_do_update(
        index_elements=["id"], set_=changed, where=table.c.version < statement.excluded.version
    ))


async def _advance_progress(session: AsyncSession, event: EventEnvelope) -> None:
    statement = insert(DoctorProgress).values(
        doctor_id=event.doctor_id, max_seq=event.seq, applied_count=1
    )
    await session.execute(statement.on_conflict_do_update(
        index_elements=["doctor_id"],
        set_={
            "max_seq": func.greatest(DoctorProgress.max_seq, statement.excluded.max_seq),
            "applied_count": DoctorProgress.applied_count + 1,
        },
    ))
