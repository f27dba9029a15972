"""The audit trail: every change to a token, who asked for it, from which request and why.

The allocator's events already say all of it; the fact table keeps them whole, and this side
table keeps one row per (event, token) keyed by the token, so a token's history is one index
range. It holds no patient names or phones (the events' snapshots do; these rows do not).
The rows are written with the facts, read from their payloads (`projections`), as
migration 0003 wrote those of the facts before it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from analytics.schemas import HistoryEntry
from analytics.tables import Base, Token

__all__ = ["TokenChange", "token_history", "token_id_of"]


class TokenChange(Base):
    """One token changed by one event. The key starts with the token: its history is one
    index range, and a redelivered event cannot add its rows twice."""

    __tablename__ = "token_history"

    token_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int]  # the doctor's event sequence: a token's events are one doctor's
    doctor_id: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[dt.datetime]
    actor: Mapped[str | None] = mapped_column(Text)  # "key:<id>:<key name>", never a patient
    command_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    slot_id: Mapped[int]


async def token_history(session: AsyncSession, token_id: int, after_seq: int | None = None,
                        limit: int | None = None) -> list[HistoryEntry]:
    """Oldest first: by the doctor's sequence, which is the order the allocator decided in;
    a page of them after `after_seq` (opd_shared.pages)."""
    c = TokenChange
    query = select(c).where(c.token_id == token_id).order_by(c.seq).limit(limit)
    if after_seq is not None:
        query = query.where(c.seq > after_seq)
    found = await session.scalars(query)
    return [HistoryEntry(
        event_id=row.event_id, type=row.type, at=row.occurred_at, actor=row.actor,
        request_id=row.command_id, reason=row.reason, from_status=row.from_status,
        to_status=row.to_status, slot_id=row.slot_id, sequence=row.seq,
    ) for row in found]


async def token_id_of(session: AsyncSession, token_number: str) -> int | None:
    statement = select(Token.id).where(Token.token_number == token_number).order_by(Token.id)
    return await session.scalar(statement.limit(1))
