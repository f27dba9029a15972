"""Applying events straight to a real database (no broker): idempotent, order-independent,
and free of patient identities."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from analytics.projections import apply_event
from analytics.tables import EventFact, Slot, Token
from opd_contracts import EventType
from opd_contracts.vocabulary import Source, TokenStatus

DAY = dt.date(2026, 3, 4)
ZONE = ZoneInfo("Asia/Kolkata")


async def test_a_redelivered_event_is_not_applied_again(sessions, history):
    d = history()
    slot = d.slot(DAY, capacity=2)
    opened = d.opened(slot)
    grown = d.event(opened.type, slots=[d.held(slot, 1)])

    first = await apply_event(sessions, opened, ZONE)
    await apply_event(sessions, grown, ZONE)
    again = await apply_event(sessions, opened, ZONE)

    async with sessions() as session:
        row = await session.get(Slot, slot.id)
    assert (first, again) == (True, False)
    assert (row.current_count, row.version) == (1, 2)


async def test_an_older_snapshot_never_overwrites_a_newer_one(sessions, history):
    d = history()
    slot = d.slot(DAY, capacity=2)
    token = d.token(slot, Source.WALK_IN)
    allocated = d.allocated(token, d.held(slot, 1))
    _, cancelled = d.changed(token, TokenStatus.CANCELLED, d.held(slot, 0))

    await apply_event(sessions, cancelled, ZONE)
    await apply_event(sessions, allocated, ZONE)

    async with sessions() as session:
        row = await session.get(Token, token.id)
        slot_row = await session.get(Slot, slot.id)
    assert (row.status, row.version) == ("cancelled", 2)
    assert (slot_row.current_count, slot_row.version) == (0, 2)


async def test_the_fact_table_keeps_the_event_but_not_the_patient(sessions, history):
    d = history()
    slot = d.slot(DAY, capacity=2)
    token = d.token(slot, Source.ONLINE).model_copy(update={"ticket": "q3Xv0bq2H1c9kQ2mZr7uJw"})
    # the same token twice in one event must not trip PostgreSQL's one-row-per-upsert rule
    event = d.event(EventType.TOKEN_ALLOCATED, tokens=[token, token], slots=[slot])

    await apply_event(sessions, event, ZONE)

    async with sessions() as session:
        fact = await session.scalar(select(EventFact).where(EventFact.event_id == event.event_id))
    stored = fact.payload["tokens"][0]
    assert (fact.type, fact.doctor_id, fact.seq) == ("token.allocated", d.doctor.id, event.seq)
    assert stored["token_number"] == token.token_number
    assert "patient_name" not in stored and "patient_phone" not in stored
    assert "notes" not in stored and "ticket" not in stored  # the live page's key
