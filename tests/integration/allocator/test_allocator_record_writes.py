"""A round writes the slots and tokens it added or changed in its one write statement, not
through an ORM flush (adapters/record_writes.py): what the database holds afterwards must be
exactly the schedule the lane keeps in memory, and the next round must write from there.
A record whose only changes are its counts is written as those counts alone; one changed in
anything else besides is written whole, or the other change would be lost."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from allocator.adapters import repository
from allocator.adapters.orm import slots, tokens
from allocator.domain.schedule import Schedule
from opd_contracts import (
    BookToken,
    CancelToken,
    ChangeTokenStatus,
    OpenSlot,
    Reply,
    ResizeSlot,
)
from opd_contracts.vocabulary import TokenStatus

from .desk import Desk, envelope, handlers_failing_for


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


@pytest.fixture
def written(monkeypatch) -> list[dict[str, list[tuple[Any, ...]]]]:
    """The rows each round handed its write statement, by kind."""
    rounds: list[dict[str, list[tuple[Any, ...]]]] = []
    found = repository.changed_records

    def recorded(session: Any) -> Any:
        changed = found(session)
        rounds.append({kind: rows for kind, rows in changed.rows.items() if rows})
        return changed

    monkeypatch.setattr(repository, "changed_records", recorded)
    return rounds


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


async def test_a_booking_writes_the_slot_s_counts_and_the_overtaken_tokens_counts_alone(
        desk, written):
    doctor = await desk.doctor(partition=1)
    slot = await desk.slot(doctor, capacity=4)
    [walk_in] = await desk.batch(envelope(BookToken(
        doctor_id=doctor, slot_id=slot["id"], patient_name="W", source="walk_in")))
    [online] = await desk.batch(envelope(BookToken(
        doctor_id=doctor, slot_id=slot["id"], patient_name="O", source="online")))
    assert walk_in.ok and online.ok, (walk_in, online)

    # The online patient was queued ahead of the walk-in: that token changed in its count only.
    assert set(written[-1]) == {"slots_counts", "tokens_new", "tokens_counts"}, written[-1]
    assert written[-1]["tokens_counts"] == [{"id": walk_in.result["id"], "overtaken_count": 1}]
    assert written[-1]["slots_counts"] == [{"id": slot["id"], "current_count": 2,
                                            "overflow_count": 0, "last_sequence": 2}]
    await _records_match(desk, _in_memory(desk, 1, doctor))


async def test_a_record_changed_beyond_its_counts_in_the_same_round_is_written_whole(
        desk, written):
    doctor = await desk.doctor(partition=2)
    slot = await desk.slot(doctor, capacity=4)
    [walk_in] = await desk.batch(envelope(BookToken(
        doctor_id=doctor, slot_id=slot["id"], patient_name="W", source="walk_in")))
    assert walk_in.ok, walk_in

    # One round: the walk-in checks in and is overtaken; the slot grows and takes a booking.
    replies = await desk.batch(
        envelope(ChangeTokenStatus(token_id=walk_in.result["id"],
                                   status=TokenStatus.CHECKED_IN)),
        envelope(ResizeSlot(slot_id=slot["id"], max_capacity=6)),
        envelope(BookToken(doctor_id=doctor, slot_id=slot["id"], patient_name="P",
                           source="priority")))
    assert all(r.ok for r in replies), replies
    assert set(written[-1]) == {"slots_changed", "tokens_new", "tokens_changed"}, written[-1]
    await _records_match(desk, _in_memory(desk, 2, doctor))
    async with desk.engine.connect() as conn:
        row = (await conn.execute(select(tokens.c.status, tokens.c.overtaken_count).where(
            tokens.c.id == walk_in.result["id"]))).one()
        capacity = await conn.scalar(select(slots.c.max_capacity).where(
            slots.c.id == slot["id"]))
    assert (row.status, row.overtaken_count, capacity) == (TokenStatus.CHECKED_IN, 1, 6)


def _new_token_ids(rounds: list[dict[str, list[tuple[Any, ...]]]]) -> list[int]:
    return [row["id"] for kinds in rounds for row in kinds.get("tokens_new", [])]


async def test_a_token_made_in_a_round_is_written_once_and_kept_in_the_identity_map(
        desk, written):
    """A slot's tokens add nothing to the session (adapters/orm.py: view-only): the tokens
    a round makes join it at the round's write, and must then be written as new once and
    be the session's persistent records, tracked like any other, from then on."""
    doctor = await desk.doctor(partition=0)
    full = await desk.slot(doctor, capacity=2)
    flushes: list[int] = []  # a record the write statement left unsettled: commit flushes it

    def flushing(session: Session, *_: object) -> None:
        flushes.append(len(session.new) + len(session.dirty))

    event.listen(Session, "before_flush", flushing)
    # One round: a new slot, two bookings and an emergency that moves one of them there.
    replies = await desk.batch(
        envelope(OpenSlot(doctor_id=doctor, date=desk.tomorrow, start_time=full["end_time"],
                          end_time="11:00", max_capacity=3)),
        *(envelope(BookToken(doctor_id=doctor, slot_id=full["id"], patient_name=f"P {n}",
                             source=source)) for n, source in enumerate(("online", "walk_in"))),
        envelope(BookToken(doctor_id=doctor, slot_id=full["id"], patient_name="E",
                           source="priority", emergency=True)))
    assert all(r.ok for r in replies), replies
    made = [r.result["id"] for r in replies[1:]]
    moved = [t for t in made if t != replies[-1].result["id"] and
             await desk.sql("SELECT slot_id FROM tokens WHERE id = :t", t=t) != full["id"]]
    assert len(moved) == 1, "the emergency moved a token booked in its own round"
    assert sorted(_new_token_ids(written)) == sorted(made)  # each once

    session = desk.deciders[0].group.transactions.workspace.session
    schedule = _in_memory(desk, 0, doctor)
    kept = [t for s in schedule.slots.values() for t in s.tokens]
    assert sorted(t.id for t in kept) == sorted(made)
    assert all(inspect(t).persistent and inspect(t).session_id == session.sync_session.hash_key
               for t in kept)
    assert not session.new and not session.dirty

    # The next round changes one of them: tracked, and written as changed, not new again.
    [checked_in] = await desk.batch(
        envelope(ChangeTokenStatus(token_id=moved[0], status=TokenStatus.CHECKED_IN)))
    assert checked_in.ok, checked_in
    assert "tokens_new" not in written[-1]
    assert [row["id"] for row in written[-1]["tokens_changed"]] == moved
    assert sorted(_new_token_ids(written)) == sorted(made)
    await _records_match(desk, _in_memory(desk, 0, doctor))
    event.remove(Session, "before_flush", flushing)
    assert flushes == []


async def test_a_round_rolled_back_leaves_none_of_its_tokens_to_a_later_round(desk, written):
    """A token booked in a round that then fails is in its slot's tokens and among its
    schedule's new tokens: the rollback must drop them with the cached schedule, or a later
    round would write a booking nobody was answered for (and number the next after it)."""
    slot = await desk.slot(await desk.doctor(partition=2), capacity=5)

    [decider] = await desk.sharing(2, handlers=handlers_failing_for("Bug"))
    [kept] = await decider.decide([envelope(desk.booking(slot, "Kept"))])
    # `Bug` fails the round after `Retried` was booked into the cached schedule; `Retried`
    # is then decided again, in a round of its own.
    [retried, failed] = await decider.decide([envelope(desk.booking(slot, "Retried")),
                                              envelope(desk.booking(slot, "Bug"))])
    [after] = await decider.decide([envelope(desk.booking(slot, "After"))])

    replies = [kept, retried, after]
    assert all(isinstance(r, Reply) and r.ok for r in replies), replies
    assert isinstance(failed, RuntimeError)
    rows = await desk.sql("SELECT string_agg(patient_name || sequence_number, ','"
                          " ORDER BY sequence_number) FROM tokens WHERE slot_id = :s",
                          s=slot["id"])
    assert rows == "Kept1,Retried2,After3"
    assert _new_token_ids(written) == [r.result["id"] for r in replies]  # type: ignore[union-attr]
