"""One commit lane decides the batches waiting in all its partitions in one transaction,
and still answers each partition on its own: a stale owner is refused and writes nothing,
a failing command fails alone. (The service layer on the fake store; the real fencing and
commit: integration/test_allocator_group_commit.py and test_allocator_fencing.py.)"""

from __future__ import annotations

import asyncio

import pytest

from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.errors import Fenced
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, Reply

from .service_desk import Desk, envelope


class _Gate:
    """Bookings as usual, except "Slow" (holds the lane until released) and "Poison"."""

    def __init__(self) -> None:
        self.held, self.release = asyncio.Event(), asyncio.Event()

    async def book(self, uow, cmd, now):
        if cmd.patient_name == "Slow":
            self.held.set()
            await self.release.wait()
        if cmd.patient_name == "Poison":
            raise RuntimeError("impossible content")
        return await HANDLERS[BookToken](uow, cmd, now)


async def _while_busy(desk: Desk, gate: _Gate, blocker: BatchDecider, slot: dict,
                      *batches: tuple[BatchDecider, list]) -> list:
    """Decide `batches` while `blocker`'s round holds the lane: they wait for the next."""
    running = asyncio.create_task(blocker.decide([envelope(desk.booking(slot, "Slow"))]))
    await gate.held.wait()
    waiting = [asyncio.create_task(d.decide(b)) for d, b in batches]
    await asyncio.sleep(0.01)
    gate.release.set()
    await running
    return await asyncio.gather(*waiting, return_exceptions=True)


async def test_batches_waiting_for_the_lane_are_decided_in_one_transaction():
    gate = _Gate()
    desk = Desk({**HANDLERS, BookToken: gate.book})
    slots = [await desk.slot(await desk.doctor(p)) for p in (0, 1, 2)]
    blocker, first, second = [await desk.decider(p) for p in (0, 1, 2)]
    late = [envelope(desk.booking(s, "Late")) for s in slots[1:]]

    [one], [other] = await _while_busy(desk, gate, blocker, slots[0],
                                       (first, late[:1]), (second, late[1:]))

    assert isinstance(one, Reply) and one.ok and isinstance(other, Reply) and other.ok
    assert desk.committed(*late) == [[e.command_id for e in late]]


async def test_a_round_answers_each_partition_on_its_own():
    gate = _Gate()
    desk = Desk({**HANDLERS, BookToken: gate.book})
    slots = [await desk.slot(await desk.doctor(p)) for p in (0, 1, 2, 3)]
    calm, poisoned, taken_over, blocker = [await desk.decider(p) for p in (0, 1, 2, 3)]
    await desk.store.claim(2, "another process")  # partition 2 changed hands
    a, poison, b, c = (envelope(desk.booking(s, n)) for s, n in
                       ((slots[0], "A"), (slots[1], "Poison"), (slots[1], "B"), (slots[2], "C")))

    first, second, third = await _while_busy(desk, gate, blocker, slots[3], (calm, [a]),
                                             (poisoned, [poison, b]), (taken_over, [c]))

    assert isinstance(first[0], Reply) and first[0].ok
    assert isinstance(second[0], RuntimeError) and second[1].ok
    assert isinstance(third, Fenced)
    assert desk.committed(a, poison, b, c) == [[a.command_id, b.command_id]]  # one round
    assert [desk.booked(s) for s in slots[:3]] == [["A"], ["B"], []]


async def test_a_stale_owner_is_fenced_and_writes_nothing():
    desk = Desk()
    slot = await desk.slot(await desk.doctor(0))
    stale = await desk.decider(0)
    await desk.store.claim(0, "the new owner")
    commits, events = len(desk.store.commits), len(desk.store.outbox)
    late = envelope(desk.booking(slot, "Late"))

    with pytest.raises(Fenced):
        await stale.decide([late])

    assert desk.booked(slot) == [] and late.command_id not in desk.store.inbox
    assert len(desk.store.outbox) == events
    assert desk.store.commits[commits:] == [[]]  # the round committed no decision


async def test_a_partition_never_claimed_is_answered_fenced_without_a_transaction():
    desk = Desk()
    slot = await desk.slot(await desk.doctor(0))
    unclaimed, commits = BatchDecider(0, desk.store.claim, desk.lane), len(desk.store.commits)

    with pytest.raises(Fenced):
        await unclaimed.decide([envelope(desk.booking(slot))])

    assert len(desk.store.commits) == commits
