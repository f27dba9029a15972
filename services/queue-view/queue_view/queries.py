"""Reads of the read model; the queue order here is the allocator's queue rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from opd_shared.vocabulary import TokenStatus
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from queue_view.models import Doctor, Slot, Token

__all__ = ["LIVE_STATUSES", "list_doctors", "list_slots", "slot_queue", "token_by_number"]

LIVE_STATUSES = (TokenStatus.ALLOCATED, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING)


async def list_doctors(session: AsyncSession) -> Sequence[Doctor]:
    return (await session.scalars(select(Doctor).order_by(Doctor.id))).all()


async def list_slots(
    session: AsyncSession, doctor_id: int | None, date: dt.date | None
) -> Sequence[Slot]:
    query = select(Slot).order_by(Slot.date, Slot.start_time, Slot.id)
    if doctor_id is not None:
        query = query.where(Slot.doctor_id == doctor_id)
    if date is not None:
        query = query.where(Slot.date == date)
    return (await session.scalars(query)).all()


async def slot_queue(session: AsyncSession, slot_id: int) -> Sequence[Token]:
    """Live tokens in queue order: the one consulting, then emergencies, then higher
    priority score, then arrival (lower sequence number)."""
    query = (
        select(Token)
        .where(Token.slot_id == slot_id, Token.status.in_([s.value for s in LIVE_STATUSES]))
        .order_by(
            (Token.status == TokenStatus.CONSULTING.value).desc(),
            Token.is_emergency.desc(),
            Token.priority_score.desc(),
            Token.sequence_number,
            Token.id,
        )
    )
    return (await session.scalars(query)).all()


async def token_by_number(session: AsyncSession, token_number: str) -> Token | None:
    query = select(Token).where(Token.token_number == token_number).order_by(Token.id).limit(1)
    return (await session.scalars(query)).first()
