"""The batches of several partitions share one transaction, and still answer one by one: a
partition another process took over is refused alone, a failing command fails alone, and a
round PostgreSQL aborts as a deadlock is decided again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from asyncpg.exceptions import DeadlockDetectedError
from sqlalchemy.exc import DBAPIError

from allocator.adapters.ownership import Fenced
from allocator.entrypoints.batches import BatchDecider
from allocator.service_layer import handlers
from opd_contracts import BookToken, Reply

from .desk import envelope


@contextlib.asynccontextmanager
async def _lane_busy(blocker: BatchDecider, slot: dict, desk, monkeypatch
                     ) -> AsyncIterator[None]:
    """Keep `blocker`'s lane inside a transaction for the length of the block: the batches
    handed to the lane meanwhile wait, and are then decided together in the next round."""
    held, release = asyncio.Event(), asyncio.Event()
    real = handlers.HANDLERS[BookToken]

    async def slow(uow, cmd, now):
        if cmd.patient_name == "Slow":
            held.set()
            await release.wait()
        return await real(uow, cmd, now)

    monkeypatch.setitem(handlers.HANDLERS, BookToken, slow)
    running = asyncio.create_task(blocker.decide([envelope(desk.booking(slot, "Slow"))]))
    await held.wait()
    try:
        yield
        await asyncio.sleep(0.1)  # every batch handed over in the block is waiting for the lane
    finally:
        release.set()
        [reply] = await running
        assert isinstance(reply, Reply) and reply.ok


async def _xmin(desk, reply: Reply) -> str:
    """The transaction that wrote the command's inbox row."""
    return await desk.sql("SELECT xmin::text FROM inbox WHERE command_id = :c",
                          c=reply.command_id)


async def test_batches_waiting_for_the_lane_are_decided_in_one_transaction(desk, monkeypatch):
    slots = [await desk.slot(await desk.doctor(partition=p)) for p in (0, 1, 2)]
    blocker, first, second = await desk.sharing(0, 1, 2)

    async with _lane_busy(blocker, slots[0], desk, monkeypatch):
        waiting = [asyncio.create_task(d.decide([envelope(desk.booking(s, "Late"))]))
                   for d, s in ((first, slots[1]), (second, slots[2]))]
    [one], [other] = [await w for w in waiting]

    assert isinstance(one, Reply) and one.ok and isinstance(other, Reply) and other.ok
    assert await _xmin(desk, one) == await _xmin(desk, other)


async def test_a_round_over_several_partitions_answers_each_partition_on_its_own(
        desk, monkeypatch):
    slots = [await desk.slot(await desk.doctor(partition=p)) for p in (0, 1, 2, 3)]
    calm, poisoned, taken_over, blocker = await desk.sharing(0, 1, 2, 3)
    await desk.usurp(2)  # partition 2 changed hands
    real = handlers.HANDLERS[BookToken]

    async def flaky(uow, cmd, now):
        if cmd.patient_name == "Poison":
            raise RuntimeError("impossible content")
        return await real(uow, cmd, now)

    monkeypatch.setitem(handlers.HANDLERS, BookToken, flaky)

    async with _lane_busy(blocker, slots[3], desk, monkeypatch):
        waiting = [
            asyncio.create_task(calm.decide([envelope(desk.booking(slots[0], "A"))])),
            asyncio.create_task(poisoned.decide([envelope(desk.booking(slots[1], "Poison")),
                                                 envelope(desk.booking(slots[1], "B"))])),
            asyncio.create_task(taken_over.decide([envelope(desk.booking(slots[2], "C"))])),
        ]
    first, second, third = await asyncio.gather(*waiting, return_exceptions=True)

    assert isinstance(first[0], Reply) and first[0].ok
    assert isinstance(second[0], RuntimeError) and second[1].ok
    assert await _xmin(desk, first[0]) == await _xmin(desk, second[1])  # one round
    assert isinstance(third, Fenced)
    counts = [await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=s["id"])
              for s in slots[:3]]
    assert counts == [1, 1, 0]


async def test_a_deadlock_decides_the_whole_round_again_and_blames_no_command(
        desk, monkeypatch):
    slot = await desk.slot(await desk.doctor(partition=0))
    [decider] = await desk.sharing(0)
    real, deadlocks = handlers.HANDLERS[BookToken], ["once"]

    async def deadlocked_once(uow, cmd, now):
        if deadlocks:  # what PostgreSQL raises in the lane it picks as the victim
            deadlocks.pop()
            raise DBAPIError("SELECT ... FOR UPDATE", {}, DeadlockDetectedError("deadlock"))
        return await real(uow, cmd, now)

    monkeypatch.setitem(handlers.HANDLERS, BookToken, deadlocked_once)
    replies = await decider.decide([envelope(desk.booking(slot, "A")),
                                    envelope(desk.booking(slot, "B"))])

    assert [isinstance(r, Reply) and r.ok for r in replies] == [True, True]
    assert deadlocks == []
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 2
