"""A batch is one transaction: a command repeated inside it is decided once, and a batch
PostgreSQL refuses at commit costs only the command that broke the rule. (A command that
fails before the commit is set aside by the service layer: unit/test_service_batches.py.)"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.exc import IntegrityError

from allocator.service_layer.handlers import HANDLERS
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


async def test_a_batch_refused_at_commit_is_decided_one_command_at_a_time(desk):
    slot = await desk.slot(await desk.doctor(partition=0), capacity=5)

    async def over_allocating(uow, cmd, now):
        decided = await HANDLERS[BookToken](uow, cmd, now)
        if cmd.patient_name == "Bug":  # a domain bug the database's CHECK must stop
            schedule = await uow.schedules.load(cmd.doctor_id, now.date())
            schedule.slots[cmd.slot_id].current_count += 10
        return decided

    [decider] = await desk.sharing(0, handlers={**HANDLERS, BookToken: over_allocating})

    good, bad, later = await decider.decide([envelope(desk.booking(slot, "A")),
                                             envelope(desk.booking(slot, "Bug")),
                                             envelope(desk.booking(slot, "B"))])

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
