"""A batch is one transaction: a command repeated inside it is decided once, and a command
that fails (not a refusal) costs only itself."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.exc import IntegrityError

from allocator.service_layer import handlers
from opd_contracts import BookToken, Reply

from .desk import envelope


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_batch_is_decided_in_one_transaction(desk):
    slot = await desk.slot(await desk.doctor(partition=0), capacity=5)
    commands = [envelope(desk.booking(slot, name)) for name in ("A", "B", "C")]

    replies = await desk.batch(*commands)

    assert all(isinstance(r, Reply) and r.ok for r in replies)
    assert await desk.sql("SELECT count(DISTINCT xmin::text) FROM inbox"
                          " WHERE command_id = ANY(:c)", c=[c.command_id for c in commands]) == 1


async def test_the_same_command_twice_in_one_batch_is_decided_once(desk, caplog):
    slot = await desk.slot(await desk.doctor(partition=0), capacity=5)
    twice = envelope(desk.booking(slot))

    first, second = await desk.batch(twice, twice)

    assert first == second and first.ok
    assert await desk.sql("SELECT count(*) FROM tokens WHERE slot_id = :s", s=slot["id"]) == 1
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 1
    assert await desk.sql("SELECT count(*) FROM inbox WHERE command_id = :c",
                          c=twice.command_id) == 1
    assert _errors(caplog) == []  # decided in the batch, not rescued by a retry


async def test_a_failing_command_is_set_aside_and_the_rest_of_its_batch_decided(
        desk, monkeypatch):
    slot = await desk.slot(await desk.doctor(partition=0), capacity=5)
    tries = []
    real = handlers.HANDLERS[BookToken]

    async def flaky(uow, cmd, now):
        if cmd.patient_name == "Poison":
            tries.append(cmd)
            raise RuntimeError("impossible content")
        return await real(uow, cmd, now)

    monkeypatch.setitem(handlers.HANDLERS, BookToken, flaky)

    good, bad, later = await desk.batch(envelope(desk.booking(slot, "A")),
                                        envelope(desk.booking(slot, "Poison")),
                                        envelope(desk.booking(slot, "B")))

    assert isinstance(good, Reply) and good.ok and isinstance(later, Reply) and later.ok
    assert isinstance(bad, RuntimeError)
    assert len(tries) == 1  # blamed at once, not tried again one by one
    assert [good.result["sequence_number"], later.result["sequence_number"]] == [1, 2]
    assert await desk.sql("SELECT count(*) FROM tokens WHERE slot_id = :s", s=slot["id"]) == 2


async def test_a_batch_refused_at_commit_is_decided_one_command_at_a_time(desk, monkeypatch):
    slot = await desk.slot(await desk.doctor(partition=0), capacity=5)
    real = handlers.HANDLERS[BookToken]

    async def over_allocating(uow, cmd, now):
        decided = await real(uow, cmd, now)
        if cmd.patient_name == "Bug":  # a domain bug the database's CHECK must stop
            schedule = await uow.schedules.load(cmd.doctor_id, now.date())
            schedule.slots[cmd.slot_id].current_count += 10
        return decided

    monkeypatch.setitem(handlers.HANDLERS, BookToken, over_allocating)

    good, bad, later = await desk.batch(envelope(desk.booking(slot, "A")),
                                        envelope(desk.booking(slot, "Bug")),
                                        envelope(desk.booking(slot, "B")))

    assert isinstance(good, Reply) and good.ok and isinstance(later, Reply) and later.ok
    assert isinstance(bad, IntegrityError)
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 2
    assert await desk.sql("SELECT count(*) FROM tokens WHERE slot_id = :s", s=slot["id"]) == 2


async def test_a_lane_whose_kept_connection_was_cut_decides_on_a_new_one(desk):
    slot = await desk.slot(await desk.doctor(partition=1), capacity=5)
    assert (await desk.decide(desk.booking(slot, "Before"))).ok  # the lane holds a connection
    await desk.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE datname = current_database() AND pid <> pg_backend_pid()")
    await asyncio.sleep(0.5)  # the lane's idle connection learns it was closed

    after = await desk.decide(desk.booking(slot, "After"))

    assert after.ok and after.result["sequence_number"] == 2
