"""Reads of the read model; the queue order here is the allocator's queue rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts.vocabulary import LIVE, TokenStatus
from opd_shared.readmodel import queue_order, table_of
from queue_view.models import Doctor, Slot, Token

__all__ = [
    "SlotKey",
    "consultation_spans",
    "day_tokens",
    "doctors_by_specialization",
    "list_doctors",
    "list_slots",
    "live_tokens",
    "queue_key",
    "slot_queue",
    "token_by_number",
    "token_by_ticket",
]

# `opd_contracts.vocabulary.queue_key` in SQL, the read models' one copy (test_queue_view_order
# proves them equal): the one consulting, then emergencies, then higher score, then arrival.
QUEUE_ORDER = queue_order(table_of(Token))


def queue_key(token: Token) -> list[int]:
    """QUEUE_ORDER as ascending integers: where a token stands, for a cursor into a queue."""
    return [0 if token.status == TokenStatus.CONSULTING.value else 1,
            0 if token.is_emergency else 1, -token.priority_score, token.sequence_number,
            token.id]


async def list_doctors(session: AsyncSession, after_id: int | None = None,
                       limit: int | None = None) -> Sequence[Doctor]:
    """By id; a page of them after `after_id` (opd_shared.pages)."""
    query = select(Doctor).order_by(Doctor.id).limit(limit)
    if after_id is not None:
        query = query.where(Doctor.id > after_id)
    return (await session.scalars(query)).all()


async def doctors_by_specialization(session: AsyncSession, specialization: str) -> list[int]:
    query = (select(Doctor.id)
             .where(func.lower(Doctor.specialization) == specialization.strip().lower())
             .order_by(Doctor.id))
    return list((await session.scalars(query)).all())


SlotKey = tuple[dt.date, dt.time, int]


async def list_slots(
    session: AsyncSession, doctor_id: int | None, date: dt.date | None,
    after: SlotKey | None = None, limit: int | None = None,
) -> Sequence[Slot]:
    """By date, start and id; a page of them after the slot whose key is `after`."""
    order = (Slot.date, Slot.start_time, Slot.id)
    query = select(Slot).order_by(*order).limit(limit)
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(*after))
    if doctor_id is not None:
        query = query.where(Slot.doctor_id == doctor_id)
    if date is not None:
        query = query.where(Slot.date == date)
    return (await session.scalars(query)).all()


async def live_tokens(session: AsyncSession, slot_ids: Sequence[int]) -> Sequence[Token]:
    """Live tokens (allocated, checked in, consulting) of these slots, in queue order."""
    query = (
        select(Token)
        .where(Token.slot_id.in_(slot_ids),
               Token.status.in_([s.value for s in LIVE]))
        .order_by(*QUEUE_ORDER)
    )
    return (await session.scalars(query)).all()


async def slot_queue(session: AsyncSession, slot_id: int) -> Sequence[Token]:
    return await live_tokens(session, [slot_id])


async def consultation_spans(
    session: AsyncSession, slot_ids: Sequence[int]
) -> list[tuple[dt.datetime | None, dt.datetime | None]]:
    """(started, completed) of the finished consultations in these slots."""
    query = select(Token.consultation_started_at, Token.completed_at).where(
        Token.slot_id.in_(slot_ids), Token.status == TokenStatus.COMPLETED.value)
    return [(started, completed) for started, completed in (await session.execute(query)).all()]


async def token_by_number(session: AsyncSession, token_number: str) -> Token | None:
    query = select(Token).where(Token.token_number == token_number).order_by(Token.id).limit(1)
    return (await session.scalars(query)).first()


async def day_tokens(session: AsyncSession, date: dt.date, *, doctor_id: int | None = None,
                     status: TokenStatus | None = None, abha_number: str | None = None,
                     channel: str | None = None, after_id: int | None = None,
                     limit: int | None = None) -> Sequence[Token]:
    """Tokens of slots on `date`, every status, by id; `channel` set: that channel's tokens
    only. A page of them after `after_id` (opd_shared.pages).

    By id, not by slot and queue number: a token's id never changes, while a move to another
    slot or a status change would shift it across a cursor and serve it twice or never."""
    query = (select(Token).join(Slot, Slot.id == Token.slot_id).where(Slot.date == date)
             .order_by(Token.id).limit(limit))
    if after_id is not None:
        query = query.where(Token.id > after_id)
    if doctor_id is not None:
        query = query.where(Token.doctor_id == doctor_id)
    if status is not None:
        query = query.where(Token.status == status.value)
    if abha_number is not None:
        query = query.where(Token.abha_number == abha_number)
    if channel is not None:
        query = query.where(Token.channel == channel)
    return (await session.scalars(query)).all()


async def token_by_ticket(session: AsyncSession, ticket: str) -> Token | None:
    """The newest token holding `ticket`: a patient transferred to a colleague has two (the
    old one cancelled), and their slip follows them to the new one."""
    query = (select(Token).where(Token.ticket == ticket)
             .order_by(Token.allocated_at.desc(), Token.id.desc()).limit(1))
    return (await session.scalars(query)).first()
