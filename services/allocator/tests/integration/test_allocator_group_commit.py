"""The batches of several partitions share one transaction, and still answer one by one: a
partition another process took over is refused alone, a failing command fails alone."""

from __future__ import annotations

import asyncio

from allocator.adapters.ownership import Fenced
from allocator.service_layer import handlers
from opd_shared.contracts import BookToken, Reply

from .desk import envelope


async def test_a_round_over_several_partitions_answers_each_partition_on_its_own(
        desk, monkeypatch):
    slots = [await desk.slot(await desk.doctor(partition=p)) for p in (0, 1, 2)]
    calm, poisoned, taken_over = await desk.sharing(0, 1, 2)
    await (await desk.decider(2)).claim("another process")  # partition 2 changed hands
    real = handlers.HANDLERS[BookToken]

    async def flaky(uow, cmd, now):
        if cmd.patient_name == "Poison":
            raise RuntimeError("impossible content")
        return await real(uow, cmd, now)

    monkeypatch.setitem(handlers.HANDLERS, BookToken, flaky)

    first, second, third = await asyncio.gather(
        calm.decide([envelope(desk.booking(slots[0], "A"))]),
        poisoned.decide([envelope(desk.booking(slots[1], "Poison")),
                         envelope(desk.booking(slots[1], "B"))]),
        taken_over.decide([envelope(desk.booking(slots[2], "C"))]),
        return_exceptions=True)

    assert isinstance(first[0], Reply) and first[0].ok
    assert isinstance(second[0], RuntimeError) and second[1].ok
    assert isinstance(third, Fenced)
    counts = [await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=s["id"])
              for s in slots]
    assert counts == [1, 1, 0]
