"""A round of bookings on cached schedules is no transaction of its own: its write statement
commits alone, after start_round's reads alone or (its ids in the pool) no read at all, and
the write is what fences the round and checks its doctors' seqs (adapters/unit_of_work.py).
What another writer commits before it is caught there: the round is decided again, and a
partition that changed hands meanwhile is answered Fenced without a trace."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from allocator.adapters import unit_of_work
from allocator.service_layer.errors import Fenced
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, CallNext, ErrorCode, Reply

from .desk import envelope


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


class _Meanwhile:
    """Handlers that run `sql` on a connection of their own, once, before deciding the first
    booking after `arm()`: another writer committing between a round's start and its write.
    The writer gives up after a second instead of waiting for a lock the round holds."""

    def __init__(self, desk: object, sql: str, **params: object) -> None:
        self.desk, self.sql, self.params, self.armed = desk, sql, params, False
        self.handlers = {**HANDLERS, BookToken: self._book}

    def arm(self) -> None:
        self.armed = True

    async def _book(self, uow, cmd, now):  # type: ignore[no-untyped-def]
        if self.armed:
            self.armed = False
            async with self.desk.engine.begin() as conn:  # type: ignore[attr-defined]
                await conn.execute(text("SET LOCAL lock_timeout = '1s'"))
                await conn.execute(text(self.sql), self.params)
        return await HANDLERS[BookToken](uow, cmd, now)


async def _statements(decider, *bookings):  # type: ignore[no-untyped-def]
    """The replies to `bookings`, each a round, and what each statement sent was: its first
    word, or the function it calls (the round's reads, its write)."""
    sent: list[str] = []

    def log(logged) -> None:  # type: ignore[no-untyped-def]
        called = re.search(r"(read_round|start_round|write_round)\(", logged.query)
        sent.append(called.group(1) if called else logged.query.split()[0].upper())

    connection = decider.group.transactions.workspace.driver.connection
    connection.add_query_logger(log)
    try:
        replies = [(await decider.decide([envelope(b)]))[0] for b in bookings]
        await asyncio.sleep(0.1)  # asyncpg calls its query loggers soon, not at once
    finally:
        connection.remove_query_logger(log)
    return replies, sent


async def test_a_booking_on_a_cached_schedule_is_one_statement_and_no_transaction(desk):
    doctor = await desk.doctor(partition=1)
    slot = await desk.slot(doctor, capacity=5)
    [decider] = await desk.sharing(1)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now

    [reply], sent = await _statements(decider, desk.booking(slot, "Second"))

    assert reply.ok
    assert sent == ["write_round"]  # the write alone: no start_round, no BEGIN, no COMMIT
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 2


async def test_a_round_that_wrote_alone_ends_its_session_s_transaction_without_a_greenlet(
        desk, monkeypatch):
    """Nothing of such a round went through the session, so its commit sends nothing and is
    called as it is (unit_of_work's `_end_unsent`); a round whose session sent a statement
    (a slot the schedule does not hold, read mid-round) commits through
    `AsyncSession.commit`."""
    doctor = await desk.doctor(partition=2)
    slot = await desk.slot(doctor, capacity=2)
    [decider] = await desk.sharing(2)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now
    awaited: list[AsyncSession] = []
    commit = AsyncSession.commit

    async def counted(session: AsyncSession) -> None:
        awaited.append(session)
        await commit(session)

    monkeypatch.setattr(AsyncSession, "commit", counted)
    session = decider.group.transactions.workspace.session

    [second], sent = await _statements(decider, desk.booking(slot, "Second"))
    assert second.ok and sent == ["write_round"]
    assert awaited == [] and not session.in_transaction()
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 2

    [unknown] = await decider.decide([envelope(CallNext(doctor_id=doctor, slot_id=slot["id"]
                                                        + 16 * 10_000))])
    assert unknown.code == ErrorCode.NOT_FOUND
    assert awaited == [session] and not session.in_transaction()
    assert await desk.sql("SELECT count(*) FROM inbox WHERE command_id = :c",
                          c=unknown.command_id) == 1


async def test_a_round_that_refuses_a_full_slot_stays_alone(desk):
    """The colleagues' slots a refusal offers are read in a statement of their own
    (loading.py's `colleague_slots`), not in a transaction the session begins: the round's
    write still commits alone, with no BEGIN and no COMMIT around the two."""
    doctor = await desk.doctor(partition=3)
    slot = await desk.slot(doctor, capacity=1)
    [decider] = await desk.sharing(3)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now

    [full], sent = await _statements(decider, desk.booking(slot, "Second"))

    await decider.group.forget()  # its connection back to the desk's pool
    assert full.code == ErrorCode.SLOT_FULL
    assert sent == ["SELECT", "write_round"]
    assert await desk.sql("SELECT count(*) FROM inbox WHERE command_id = :c",
                          c=full.command_id) == 1


async def test_a_command_decided_before_an_unread_round_is_answered_so_and_rounds_read_first(
        desk, caplog, monkeypatch):
    """The round does not read the inbox: the write's inbox key refuses the command decided
    before, the round is decided again from fresh reads, and the lane's next rounds read
    first, for READS_AFTER_A_RACE rounds."""
    monkeypatch.setattr(unit_of_work, "READS_AFTER_A_RACE", 3)
    doctor = await desk.doctor(partition=0)
    slot = await desk.slot(doctor, capacity=5)
    [decider] = await desk.sharing(0)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now
    late = envelope(desk.booking(slot, "Twice"))
    decided = Reply(command_id=late.command_id, ok=False, code=ErrorCode.SLOT_FULL,
                    detail="decided by another writer")
    await desk.sql("INSERT INTO inbox (command_id, fingerprint, reply, decided_at)"
                   " VALUES (:c, :f, CAST(:r AS jsonb), now())",
                   c=late.command_id, f=late.fingerprint, r=decided.model_dump_json())

    assert await decider.decide([late]) == [decided]  # answered, not decided again
    assert (await decider.decide([envelope(desk.booking(slot, "Cached"))]))[0].ok
    replies, sent = await _statements(decider, *(desk.booking(slot, n) for n in "ABC"))

    assert all(r.ok for r in replies)
    # The race's retry (fenced: the rollback dropped the cache), "Cached" and "A" read first,
    # the rounds owed; "B" and "C" do not.
    assert sent == ["read_round", *["write_round"] * 3]
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 5
    assert await desk.sql("SELECT count(*) FROM inbox WHERE command_id = :c",
                          c=late.command_id) == 1
    assert _errors(caplog) == []  # a race retried, not a commit failed and split up


async def test_a_partition_claimed_between_the_start_and_the_write_is_fenced(desk, caplog):
    doctor = await desk.doctor(partition=2)
    slot = await desk.slot(doctor, capacity=5)
    usurper = _Meanwhile(desk, "UPDATE partition_owners SET epoch = epoch + 1,"
                         " owner = 'usurper' WHERE partition = 2")
    [decider] = await desk.sharing(2, handlers=usurper.handlers)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now
    late = envelope(desk.booking(slot, "Late"))

    usurper.arm()
    with pytest.raises(Fenced):
        await decider.decide([late])

    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 1
    assert await desk.sql("SELECT count(*) FROM inbox WHERE command_id = :c",
                          c=late.command_id) == 0
    assert await desk.sql("SELECT count(*) FROM outbox WHERE event->>'command_id' = :c",
                          c=str(late.command_id)) == 0
    assert _errors(caplog) == []
    desk.deciders.pop(2, None)  # the next test to ask claims partition 2 anew


async def test_a_doctor_changed_between_the_start_and_the_write_is_decided_again(desk, caplog):
    doctor = await desk.doctor(partition=3)
    slot = await desk.slot(doctor, capacity=2)
    # Another writer (a colleague's transfer into this doctor's slot, say) moves the seq.
    colleague = _Meanwhile(desk, "UPDATE doctors SET last_event_seq = last_event_seq + 1"
                           " WHERE id = :d", d=doctor)
    [decider] = await desk.sharing(3, handlers=colleague.handlers)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now
    seq = await desk.sql("SELECT last_event_seq FROM doctors WHERE id = :d", d=doctor)

    colleague.arm()
    [second] = await decider.decide([envelope(desk.booking(slot, "Second"))])
    [third] = await decider.decide([envelope(desk.booking(slot, "Third"))])

    assert second.ok and not third.ok and third.code is ErrorCode.SLOT_FULL
    # Decided again as a round, after the other writer's seq: not written over it.
    assert await desk.sql("SELECT last_event_seq FROM doctors WHERE id = :d",
                          d=doctor) == seq + 2
    assert await desk.sql("SELECT count(*) FROM tokens WHERE slot_id = :s", s=slot["id"]) == 2
    assert _errors(caplog) == []  # a race retried, not a commit failed and split up


async def test_a_command_decided_between_the_start_and_the_write_is_answered_so(desk, caplog):
    doctor = await desk.doctor(partition=0)
    slot = await desk.slot(doctor, capacity=5)
    late = envelope(desk.booking(slot, "Twice"))
    decided = Reply(command_id=late.command_id, ok=False, code=ErrorCode.SLOT_FULL,
                    detail="decided by another writer")
    other = _Meanwhile(desk, "INSERT INTO inbox (command_id, fingerprint, reply, decided_at)"
                       " VALUES (:c, :f, CAST(:r AS jsonb), now())", c=late.command_id,
                       f=late.fingerprint, r=decided.model_dump_json())
    [decider] = await desk.sharing(0, handlers=other.handlers)
    assert (await decider.decide([envelope(desk.booking(slot, "First"))]))[0].ok  # cached now

    other.arm()
    assert await decider.decide([late]) == [decided]  # answered, not decided again

    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 1
    assert _errors(caplog) == []  # a race retried, not a commit failed and split up
