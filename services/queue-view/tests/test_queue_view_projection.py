"""The projection on a real database: applied once, latest snapshot wins, gaps visible."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event as engine_events
from sqlalchemy import func, select

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from opd_shared.readmodel.driver import batch_transaction
from queue_view.consumer import make_applier
from queue_view.models import AppliedEvent, Doctor, DoctorProgress, Slot, Token
from queue_view.projection import apply_event, apply_events


async def _apply(sessions, event) -> bool:
    async with batch_transaction(sessions) as connection:
        return await apply_event(connection, event)


async def _load(sessions, model, key):
    async with sessions() as session:
        return await session.get(model, key)


async def test_an_event_applied_twice_changes_nothing_the_second_time(sessions, events) -> None:
    slot = events.slot()
    opened = events.event(EventType.SLOT_OPENED, slots=[slot])
    await _apply(sessions, opened)

    again = await _apply(sessions, opened)

    assert again is False
    progress = await _load(sessions, DoctorProgress, events.doctor_id)
    assert (progress.max_seq, progress.applied_count) == (1, 1)


async def test_an_older_snapshot_never_overwrites_a_newer_one(sessions, events) -> None:
    slot = events.slot()
    token = events.token(slot)
    allocated = events.event(EventType.TOKEN_ALLOCATED, tokens=[token],
                             slots=[slot.model_copy(update={"current_count": 1})])
    checked_in = events.event(EventType.TOKEN_STATUS_CHANGED,
                              tokens=[token.model_copy(update={"status": TokenStatus.CHECKED_IN})])

    await _apply(sessions, checked_in)
    await _apply(sessions, allocated)

    stored = await _load(sessions, Token, token.id)
    assert (stored.status, stored.version) == ("checked_in", 2)
    stored_slot = await _load(sessions, Slot, slot.id)
    assert (stored_slot.current_count, stored_slot.version) == (1, 1)


async def test_a_missing_event_shows_as_fewer_applied_than_the_highest_seq(
    sessions, events
) -> None:
    first, _lost, third = (events.event(EventType.SLOT_OPENED, slots=[events.slot()])
                           for _ in range(3))

    await _apply(sessions, first)
    await _apply(sessions, third)

    progress = await _load(sessions, DoctorProgress, events.doctor_id)
    assert (progress.max_seq, progress.applied_count) == (3, 2)


async def test_one_event_may_carry_the_same_record_twice_and_the_last_copy_wins(
    sessions, events
) -> None:
    slot = events.slot()
    token = events.token(slot)
    moved = token.model_copy(update={"status": TokenStatus.CONSULTING})
    event = events.event(EventType.TOKEN_MOVED, tokens=[token, moved])

    await _apply(sessions, event)

    stored = await _load(sessions, Token, token.id)
    assert stored.status == "consulting"


def _history(factory) -> list:
    """One doctor's day in events: registered, slots opened, bookings, a check-in, a
    cancellation, a move to a second slot, the doctor's record changed."""
    slot, later = factory.slot(), factory.slot()
    first, second, third = (factory.token(slot) for _ in range(3))
    return [
        factory.event(EventType.DOCTOR_REGISTERED, doctor=factory.doctor()),
        factory.event(EventType.SLOT_OPENED, slots=[slot, later]),
        factory.event(EventType.TOKEN_ALLOCATED, tokens=[first],
                      slots=[slot.model_copy(update={"current_count": 1})]),
        factory.event(EventType.TOKEN_ALLOCATED, tokens=[second],
                      slots=[slot.model_copy(update={"current_count": 2})]),
        factory.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
            first.model_copy(update={"status": TokenStatus.CHECKED_IN})]),
        factory.event(EventType.TOKEN_ALLOCATED, tokens=[third],
                      slots=[slot.model_copy(update={"current_count": 3})]),
        factory.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
            second.model_copy(update={"status": TokenStatus.CANCELLED})],
            slots=[slot.model_copy(update={"current_count": 2})]),
        factory.event(EventType.TOKEN_MOVED, tokens=[
            third.model_copy(update={"slot_id": later.id})], slots=[
            slot.model_copy(update={"current_count": 1}),
            later.model_copy(update={"current_count": 1})]),
        factory.event(EventType.DOCTOR_DELAYED, doctor=factory.doctor(room="B-12")),
    ]


async def _tables(sessions, doctors: set[int]) -> dict[str, list]:
    """Every row the projection wrote for these doctors (but when each event was applied)."""
    found = {}
    async with sessions() as session:
        for model in (Doctor, Slot, Token, DoctorProgress, AppliedEvent):
            table = model.__table__
            columns = [c for c in table.columns if c.name != "applied_at"]
            owner = table.c.id if model is Doctor else table.c.doctor_id
            rows = await session.execute(
                select(*columns).where(owner.in_(doctors)).order_by(*columns))
            found[table.name] = [tuple(row) for row in rows]
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_a_shuffled_history_in_batches_ends_as_it_does_one_event_at_a_time(
    sessions, twin_sessions, another_doctor, seed
) -> None:
    history = [event for _ in range(3) for event in _history(another_doctor())]
    for event in history:
        await _apply(sessions, event)
    rng = random.Random(seed)
    delivered = [*history, *rng.sample(history, 5)]  # with redeliveries
    rng.shuffle(delivered)

    applied = []
    while delivered:
        size = rng.randint(1, 12)
        batch, delivered = delivered[:size], delivered[size:]
        async with batch_transaction(twin_sessions) as connection:
            applied += await apply_events(connection, batch)

    doctors = {event.doctor_id for event in history}
    assert sum(applied) == len(history)  # each event new exactly once
    assert await _tables(twin_sessions, doctors) == await _tables(sessions, doctors)


async def test_a_batch_reports_its_repeats(sessions, events) -> None:
    first, second = (events.event(EventType.SLOT_OPENED, slots=[events.slot()])
                     for _ in range(2))
    await _apply(sessions, first)

    async with batch_transaction(sessions) as connection:
        applied = await apply_events(connection, [first, second, second])

    assert applied == [False, True, False]
    progress = await _load(sessions, DoctorProgress, events.doctor_id)
    assert (progress.max_seq, progress.applied_count) == (2, 2)


async def test_a_batch_is_one_statement_outside_any_transaction(sessions, another_doctor
                                                                ) -> None:
    """What keeps a batch cheap (issue #13): one execution whatever the batch holds, and
    no BEGIN or COMMIT round trips around it (the statement is its own transaction)."""
    batch = [event for _ in range(3) for event in _history(another_doctor())]
    statements: list[str] = []

    def seen(query) -> None:  # asyncpg's, which runs it (opd_shared.readmodel.driver)
        if "typeinfo_tree" not in query.query:  # asyncpg's own look-up of a new type
            statements.append(query.query)

    def listen(dbapi_connection, *args) -> None:
        dbapi_connection.driver_connection.add_query_logger(seen)

    def stop(dbapi_connection, *args) -> None:
        dbapi_connection.driver_connection.remove_query_logger(seen)

    through_sqlalchemy: list[str] = []  # its layers cost more than the statement's own work

    def executed(conn, cursor, statement, *args) -> None:
        through_sqlalchemy.append(statement)

    engine = sessions.kw["bind"].sync_engine
    engine_events.listen(engine, "checkout", listen)
    engine_events.listen(engine, "checkin", stop)
    engine_events.listen(engine, "before_cursor_execute", executed)
    try:
        applied = await make_applier(sessions)(batch)
    finally:
        engine_events.remove(engine, "checkout", listen)
        engine_events.remove(engine, "checkin", stop)
        engine_events.remove(engine, "before_cursor_execute", executed)

    assert sum(applied) == len(batch)
    assert len(statements) == 1
    assert through_sqlalchemy == []
    async with sessions() as session:  # committed: another session sees it
        assert await session.scalar(select(func.count()).select_from(AppliedEvent).where(
            AppliedEvent.event_id.in_([e.event_id for e in batch]))) == len(batch)
