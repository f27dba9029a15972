"""A round writes the slots and tokens it added or changed in its one write statement, not
through an ORM flush (adapters/record_writes.py): what the database holds afterwards must be
exactly the schedule the lane keeps in memory, and the next round must write from there."""

from __future__ import annotations

from sqlalchemy import select

from allocator.adapters.orm import slots, tokens
from allocator.domain.schedule import Schedule
from opd_contracts import BookToken, CancelToken, ChangeTokenStatus, OpenSlot
from opd_contracts.vocabulary import TokenStatus

from .desk import Desk, envelope


def _in_memory(desk: Desk, partition: int, doctor_id: int) -> Schedule:
    entry = desk.deciders[partition].group.transactions.workspace.cache.get(doctor_id)
    assert entry is not None, "the lane keeps the schedule it decided on"
    return entry.schedule


async def _records_match(desk: Desk, schedule: Schedule) -> None:
    async with desk.engine.connect() as conn:
        slot_rows = {r.id: r._asdict() for r in await conn.execute(
            select(slots).where(slots.c.doctor_id == schedule.doctor.id))}
        token_rows = {r.id: r._asdict() for r in await conn.execute(
            select(tokens).where(tokens.c.doctor_id == schedule.doctor.id))}
    kept_tokens = {t.id: t for s in schedule.slots.values() for t in s.tokens}
    assert set(slot_rows) == set(schedule.slots)
    assert set(token_rows) == set(kept_tokens)
    for slot_id, row in slot_rows.items():
        assert row == {c: getattr(schedule.slots[slot_id], c) for c in row}, slot_id
    for token_id, row in token_rows.items():
        assert row == {c: getattr(kept_tokens[token_id], c) for c in row}, token_id


async def test_the_records_of_a_round_are_the_schedule_it_keeps(desk):
    doctor = await desk.doctor(partition=3)
    full = await desk.slot(doctor, capacity=2)
    booked = [BookToken(doctor_id=doctor, slot_id=full["id"], patient_name=f"P {n}",
                        source=source, patient_phone="9800000000")
              for n, source in enumerate(("online", "walk_in"))]

    # One round: a new slot, bookings into both, an emergency bumping into a full slot.
    replies = await desk.batch(
        envelope(OpenSlot(doctor_id=doctor, date=desk.tomorrow, start_time=full["end_time"],
                          end_time="11:00", max_capacity=3)),
        *(envelope(b) for b in booked),
        envelope(BookToken(doctor_id=doctor, slot_id=full["id"], patient_name="E",
                           source="priority", emergency=True, notes="chest pain")))
    assert all(r.ok for r in replies), replies
    await _records_match(desk, _in_memory(desk, 3, doctor))

    # The next round changes records the previous one inserted.
    first, second = replies[1].result, replies[2].result
    replies = await desk.batch(
        envelope(ChangeTokenStatus(token_id=first["id"], status=TokenStatus.CHECKED_IN)),
        envelope(CancelToken(token_id=second["id"], reason="changed plans")))
    assert all(r.ok for r in replies), replies
    await _records_match(desk, _in_memory(desk, 3, doctor))
