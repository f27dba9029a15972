"""A batch is one transaction, yet each command answers for itself: a command that fails
fails alone, a batch refused at commit is decided again one command at a time, and a
transient failure decides the whole batch again, blaming nobody. (The service layer on the
fake store; the real commit's refusal is in integration/test_allocator_batches.py.)"""

from __future__ import annotations

from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, Reply

from .fakes import CheckViolation, Transient
from .service_desk import Desk, envelope


async def test_a_failing_command_fails_alone_and_its_neighbours_are_decided():
    tries: list[str] = []

    async def poisoned(uow, cmd, now):
        if cmd.patient_name == "Poison":
            tries.append(cmd.patient_name)
            raise RuntimeError("impossible content")
        return await HANDLERS[BookToken](uow, cmd, now)

    desk = Desk({**HANDLERS, BookToken: poisoned})
    slot = await desk.slot(await desk.doctor())
    batch = [envelope(desk.booking(slot, name)) for name in ("A", "Poison", "B")]

    good, bad, later = await desk.batch(*batch)

    assert isinstance(good, Reply) and good.ok and isinstance(later, Reply) and later.ok
    assert isinstance(bad, RuntimeError)
    assert tries == ["Poison"]  # blamed at once, not tried again one by one
    assert [good.result["sequence_number"], later.result["sequence_number"]] == [1, 2]
    assert desk.committed(*batch) == [[batch[0].command_id, batch[2].command_id]]


async def test_a_batch_refused_at_commit_is_decided_again_one_command_at_a_time():
    async def over_allocating(uow, cmd, now):
        decided = await HANDLERS[BookToken](uow, cmd, now)
        if cmd.patient_name == "Bug":  # a domain bug the store's capacity check must stop
            schedule = await uow.schedules.load(cmd.doctor_id, now.date())
            schedule.slots[cmd.slot_id].current_count += 10
        return decided

    desk = Desk({**HANDLERS, BookToken: over_allocating})
    slot = await desk.slot(await desk.doctor())
    batch = [envelope(desk.booking(slot, name)) for name in ("A", "Bug", "B")]

    good, bad, later = await desk.batch(*batch)

    assert isinstance(good, Reply) and good.ok and isinstance(later, Reply) and later.ok
    assert isinstance(bad, CheckViolation)
    assert desk.committed(*batch) == [[batch[0].command_id], [batch[2].command_id]]
    assert desk.booked(slot) == ["A", "B"]


async def test_a_transient_failure_decides_the_whole_batch_again_and_blames_no_command():
    failures = ["once"]

    async def deadlocked_once(uow, cmd, now):
        if failures:  # what the store says when it picks this transaction as a victim
            failures.pop()
            raise Transient("deadlock")
        return await HANDLERS[BookToken](uow, cmd, now)

    desk = Desk({**HANDLERS, BookToken: deadlocked_once})
    slot = await desk.slot(await desk.doctor())
    batch = [envelope(desk.booking(slot, name)) for name in ("A", "B")]

    replies = await desk.batch(*batch)

    assert [isinstance(r, Reply) and r.ok for r in replies] == [True, True]
    assert failures == []
    assert desk.committed(*batch) == [[e.command_id for e in batch]]
