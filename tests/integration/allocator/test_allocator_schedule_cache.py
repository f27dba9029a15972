"""A partition keeps its doctors' schedules in memory between batches, and trusts them only
while the database agrees: never after a change it did not make, a rollback or a fencing."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from allocator.adapters.batch_io import StaleSchedule, Writes, write_all
from allocator.adapters.driver_calls import DriverConnection
from allocator.adapters.schedule_cache import Cached, ScheduleCache
from allocator.adapters.workspace import Workspace
from allocator.domain.model import Doctor
from allocator.domain.schedule import Schedule
from allocator.service_layer.errors import Fenced
from opd_contracts import CancelToken, ErrorCode, ReallocateToken, Reply

from .desk import envelope, handlers_failing_for


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _cached(doctor_id: int) -> Cached:
    doctor = Doctor(id=doctor_id, name="Dr. C", specialization="X", room=None,
                    created_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    return Cached(Schedule(doctor, {}), seq=1)


async def test_a_transfer_by_another_partition_is_seen_by_the_next_booking(desk, caplog):
    mine = await desk.doctor(partition=0, specialization="Neurology")
    theirs = await desk.doctor(partition=1, specialization="Neurology")
    slot = await desk.slot(mine, capacity=2)
    assert (await desk.decide(desk.booking(slot))).ok  # partition 0 now holds the schedule
    token = (await desk.decide(desk.booking(await desk.slot(theirs)))).result

    moved = await desk.decide(ReallocateToken(token_id=token["id"], new_slot_id=slot["id"],
                                              allow_other_doctor=True))
    third = await desk.decide(desk.booking(slot))

    assert moved.ok and moved.result["slot_id"] == slot["id"]
    assert not third.ok and third.code is ErrorCode.SLOT_FULL
    assert _errors(caplog) == []  # the cache was not trusted: no last guard had to step in


async def test_a_command_naming_only_a_token_checks_the_cached_schedule_too(desk, caplog):
    mine = await desk.doctor(partition=0, specialization="Cardiology")
    theirs = await desk.doctor(partition=1, specialization="Cardiology")
    slot = await desk.slot(mine, capacity=5)
    kept = (await desk.decide(desk.booking(slot))).result  # partition 0 holds the schedule
    token = (await desk.decide(desk.booking(await desk.slot(theirs)))).result
    assert (await desk.decide(ReallocateToken(token_id=token["id"], new_slot_id=slot["id"],
                                              allow_other_doctor=True))).ok

    cancelled = await desk.decide(CancelToken(token_id=kept["id"]))

    assert cancelled.ok
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 1
    assert _errors(caplog) == []  # seen by the check, not by the last guard at commit


async def test_a_batch_that_found_an_outdated_event_seq_cannot_commit(desk):
    doctor = await desk.doctor(partition=0)
    seq = await desk.sql("SELECT last_event_seq FROM doctors WHERE id = :d", d=doctor)
    stale = Writes(seqs=[(doctor, seq - 1, seq + 1)])  # the last guard behind the cache

    async with desk.engine.connect() as connection, connection.begin():
        await connection.execute(text("SELECT 1"))  # BEGIN goes with a first statement
        with pytest.raises(StaleSchedule):
            await write_all(await DriverConnection.under(connection), stale)

    assert await desk.sql("SELECT last_event_seq FROM doctors WHERE id = :d", d=doctor) == seq


async def test_nothing_cached_is_trusted_after_a_rollback(desk):
    slot = await desk.slot(await desk.doctor(partition=2), capacity=5)

    [decider] = await desk.sharing(2, handlers=handlers_failing_for("Bug"))
    [kept] = await decider.decide([envelope(desk.booking(slot))])  # the lane holds the schedule
    # Closed behind the allocator's back (no event seq moves), so only a dropped cache sees it.
    await desk.sql("UPDATE slots SET is_active = false WHERE id = :s", s=slot["id"])

    [failed] = await decider.decide([envelope(desk.booking(slot, "Bug"))])
    [after] = await decider.decide([envelope(desk.booking(slot))])

    assert isinstance(kept, Reply) and kept.ok
    assert isinstance(failed, RuntimeError)
    assert isinstance(after, Reply) and not after.ok and after.code is ErrorCode.SLOT_CLOSED


async def test_nothing_cached_is_trusted_after_another_owner_took_the_partition(desk):
    slot = await desk.slot(await desk.doctor(partition=3), capacity=5)
    owner = await desk.decider(3)
    assert (await desk.decide(desk.booking(slot))).ok
    await desk.usurp(3)
    # Whatever the other owner did; here a change no event seq shows, so only a dropped
    # cache can see it.
    await desk.sql("UPDATE slots SET is_active = false WHERE id = :s", s=slot["id"])
    with pytest.raises(Fenced):
        await owner.decide([envelope(desk.booking(slot))])

    await owner.claim("the first owner, back")
    [after] = await owner.decide([envelope(desk.booking(slot))])

    assert isinstance(after, Reply) and not after.ok and after.code is ErrorCode.SLOT_CLOSED


async def test_a_new_day_starts_with_an_empty_cache():
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never used
    workspace = Workspace(async_sessionmaker(engine), cache_size=4)
    await workspace.start_day(dt.date(2030, 1, 1))
    workspace.cache.keep(1, _cached(1))

    await workspace.start_day(dt.date(2030, 1, 1))
    kept = len(workspace.cache)
    await workspace.start_day(dt.date(2030, 1, 2))

    assert (kept, len(workspace.cache)) == (1, 0)
    await engine.dispose()


def test_the_cache_forgets_the_least_recently_used_schedule_beyond_its_bound():
    cache = ScheduleCache(capacity=2)

    cache.keep(1, _cached(1))
    cache.keep(2, _cached(2))
    cache.keep(1, _cached(1))  # used again: now the most recent
    cache.keep(3, _cached(3))

    assert (1 in cache, 2 in cache, 3 in cache) == (True, False, True)
