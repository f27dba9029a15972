"""The batches of several partitions share one transaction, and still answer one by one: a
partition another process took over is refused alone, and a failing command fails alone.
(How a round tells its failures apart is proven without servers, in
unit/test_service_group_commit.py; here, that the real commit and fencing agree.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.decided import Decided, Handlers
from allocator.service_layer.errors import Fenced
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, Reply

from .desk import envelope


class _Gate:
    """Bookings as usual, except two patients: "Slow" holds the lane inside its transaction
    until released, and "Poison" fails (an error, not a refusal)."""

    def __init__(self) -> None:
        self.held, self.release = asyncio.Event(), asyncio.Event()

    async def book(self, uow, cmd: BookToken, now) -> Decided:
        if cmd.patient_name == "Slow":
            self.held.set()
            await self.release.wait()
        if cmd.patient_name == "Poison":
            raise RuntimeError("impossible content")
        return await HANDLERS[BookToken](uow, cmd, now)

    @property
    def handlers(self) -> Handlers:
        return {**HANDLERS, BookToken: self.book}


@contextlib.asynccontextmanager
async def _lane_busy(blocker: BatchDecider, slot: dict, desk, gate: _Gate
                     ) -> AsyncIterator[None]:
    """Keep `blocker`'s lane inside a transaction for the length of the block: the batches
    handed to the lane meanwhile wait, and are then decided together in the next round."""
    running = asyncio.create_task(blocker.decide([envelope(desk.booking(slot, "Slow"))]))
    await gate.held.wait()
    try:
        yield
        await asyncio.sleep(0.1)  # every batch handed over in the block is waiting for the lane
    finally:
        gate.release.set()
        [reply] = await running
        assert isinstance(reply, Reply) and reply.ok


async def _xmin(desk, reply: Reply) -> str:
    """The transaction that wrote the command's inbox row."""
    return await desk.sql("SELECT xmin::text FROM inbox WHERE command_id = :c",
                          c=reply.command_id)


async def test_batches_waiting_for_the_lane_are_decided_in_one_transaction(desk):
    slots = [await desk.slot(await desk.doctor(partition=p)) for p in (0, 1, 2)]
    gate = _Gate()
    blocker, first, second = await desk.sharing(0, 1, 2, handlers=gate.handlers)

    async with _lane_busy(blocker, slots[0], desk, gate):
        waiting = [asyncio.create_task(d.decide([envelope(desk.booking(s, "Late"))]))
                   for d, s in ((first, slots[1]), (second, slots[2]))]
    [one], [other] = [await w for w in waiting]

    assert isinstance(one, Reply) and one.ok and isinstance(other, Reply) and other.ok
    assert await _xmin(desk, one) == await _xmin(desk, other)


async def test_a_round_over_several_partitions_answers_each_partition_on_its_own(desk):
    slots = [await desk.slot(await desk.doctor(partition=p)) for p in (0, 1, 2, 3)]
    gate = _Gate()
    calm, poisoned, taken_over, blocker = await desk.sharing(0, 1, 2, 3, handlers=gate.handlers)
    await desk.usurp(2)  # partition 2 changed hands

    async with _lane_busy(blocker, slots[3], desk, gate):
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
