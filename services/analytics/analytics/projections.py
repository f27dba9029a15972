"""Apply one event to analytics' tables: record the fact, then upsert the snapshots it carries.

Applying is idempotent (the fact's key turns a redelivery into a no-op) and order-independent
(a snapshot only replaces one written by an older `seq` of the same doctor).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from opd_shared.contracts import EventEnvelope
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.tables import Base, Doctor, EventFact, Slot, Token

__all__ = ["apply_event"]

# Management figures need no patient identities, so the fact table never stores them.
_PERSONAL = {"patient_name", "patient_phone"}


async def apply_event(sessions: async_sessionmaker[AsyncSession], event: EventEnvelope) -> bool:
    """Apply one event in one transaction; False when it had been applied before."""
    async with sessions.begin() as session:
        if not await _record_fact(session, event):
            return False
        doctors = [event.doctor] if event.doctor is not None else []
        await _upsert(session, Doctor, doctors, event.seq)
        await _upsert(session, Slot, event.slots, event.seq)
        await _upsert(session, Token, event.tokens, event.seq)
    return True


async def _record_fact(session: AsyncSession, event: EventEnvelope) -> bool:
    payload = event.model_dump(mode="json", exclude={"tokens": {"__all__": _PERSONAL}})
    statement = (
        insert(EventFact)
        .values(
            event_id=event.event_id,
            type=event.type.value,
            doctor_id=event.doctor_id,
            seq=event.seq,
            occurred_at=event.occurred_at,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=[EventFact.event_id])
        .returning(EventFact.event_id)
    )
    return (await session.execute(statement)).first() is not None


def _rows(model: type[Base], records: Iterable[BaseModel], version: int) -> list[dict[str, Any]]:
    columns = [column.name for column in model.__table__.columns if column.name != "version"]
    # Attributes, not model_dump(): the wire serializers (times as "HH:MM") are not for SQL.
    rows = ({name: getattr(record, name) for name in columns} for record in records)
    # One row per id: PostgreSQL refuses to upsert the same row twice in one statement.
    unique = {row["id"]: row for row in rows}
    return [{**row, "version": version} for row in unique.values()]


async def _upsert(
    session: AsyncSession, model: type[Base], records: Sequence[BaseModel], version: int
) -> None:
    rows = _rows(model, records, version)
    if not rows:
        return
    table = model.__table__
    statement = insert(table).values(rows)
    changes = {name: statement.excluded[name] for name in rows[0] if name != "id"}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.id],
            set_=changes,
            where=table.c.version < statement.excluded.version,
        )
    )
