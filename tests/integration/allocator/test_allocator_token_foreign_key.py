"""A token's slot and doctor are one foreign key (migration 0011): each new token runs one
check instead of two, and the database refuses a token whose doctor is not its slot's,
which before only the domain prevented."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from allocator.adapters.orm import doctors, slots, tokens

NOW = dt.datetime(2026, 12, 6, 9, tzinfo=dt.UTC)


def _token(token_id: int, doctor_id: int, slot_id: int) -> dict[str, object]:
    return {"id": token_id, "token_number": f"T-{token_id}", "patient_name": "P",
            "doctor_id": doctor_id, "slot_id": slot_id, "source": "online",
            "status": "allocated", "priority_score": 0, "sequence_number": token_id,
            "is_emergency": False, "is_overflow": False, "allocated_at": NOW}


async def _two_doctors_one_slot(session) -> None:
    await session.execute(insert(doctors), [
        {"id": doctor_id, "name": "D", "specialization": "S", "is_active": True,
         "created_at": NOW, "last_event_seq": 0} for doctor_id in (1, 2)])
    await session.execute(insert(slots), [{
        "id": 10, "doctor_id": 1, "date": NOW.date(), "start_time": dt.time(9),
        "end_time": dt.time(10), "max_capacity": 5, "current_count": 0, "overflow_count": 0,
        "last_sequence": 0, "is_active": True}])


async def test_a_token_whose_doctor_is_not_its_slots_is_refused(sessions):
    async with sessions() as session, session.begin():
        await _two_doctors_one_slot(session)
        await session.execute(insert(tokens), [_token(100, 1, 10)])  # its slot's doctor

    with pytest.raises(IntegrityError, match="fk_tokens_slot_id_slots"):
        async with sessions() as session, session.begin():
            await session.execute(insert(tokens), [_token(101, 2, 10)])


async def test_a_new_token_runs_one_foreign_key_check(sessions):
    async with sessions() as session:
        keys = (await session.scalars(text(
            "SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'tokens'::regclass AND contype = 'f'"))).all()

    assert keys == ["fk_tokens_slot_id_slots"]
