"""One transaction for the batches of one or more partitions, in a commit lane's long-lived
workspace: the service layer's UnitOfWork and Transactions on PostgreSQL.

No savepoint per command: a refused command changes nothing (the domain guarantees it, and
its state machine test checks it). Anything else that goes wrong rolls the whole transaction
back, and then nothing the workspace holds in memory is trusted any more.

**A round alone**: a round whose every command names a doctor whose cached schedule is still
the committed one (the steady state: bookings) opens no transaction. It reads what
start_round reads as a transaction of its own, without the partitions' locks (`read_round`,
migration 0013), and its write statement is another, which takes the locks, checks the
epochs and moves the doctors' seqs by compare-and-set, failing whole when either is not as
the round found it; an inbox row another writer committed meanwhile fails it by its key
(batch_io: PartitionClaimed, StaleSchedule, AlreadyDecided; each decided again as a
round). Two round trips where a round made four (BEGIN, start_round, the write, COMMIT):
BEGIN and COMMIT cost about 95 us of this process's CPU and 70 of PostgreSQL's through
asyncpg alone (5 x 1,000 calls), more through the session and its adapter. A round of one
booking: this process 1,404 -> 1,094 us of CPU, PostgreSQL 930 -> 860 (round_cost.py,
medians of 6 pairs alternated with the code before, load 2.5-6.2); rounds of ~28 move by
less than the machine's noise (decide_bench's concurrent part).

Nothing it decides rests on a read the locks would have covered and the write does not
check: its schedules are the cached ones whose seqs the reads found committed (a refusal
holds as of those reads; a change must still find those seqs at the write), its ids come
from a sequence, and no owner adds one of its commands to the inbox meanwhile (a previous
owner commits nothing once this process claimed the partition: its write checks its epoch
under the lock); any other writer's row is refused by the inbox's key. A round that needs
the database meanwhile (a colleague's partition to lock for a transfer, more ids) has the
session begin a transaction as ever, which the write and the session's commit end;
colleagues' slots for a refusal's alternatives are read in a statement alone (loading.py),
so a round that refuses stays alone. A round whose commands name no doctor (a token's), or
an uncached or changed one, is fenced from its start as before: it reads schedules
mid-round, and only the lock keeps those reads whole.

**A round unread**: a round alone whose ids are in the pool does not even read: it decides
as if read_round had found none of its commands decided, its cached seqs committed and none
of its partitions claimed, and its write statement is its one round trip. Each of those is
what the write checks anyway (a command decided before is refused by the inbox's key as one
decided meanwhile, AlreadyDecided: decided again from fresh reads, answered with the stored
reply), so nothing is decided on a read unchecked. Why: py-spy had put 19.7% of the
allocator's samples in the system bench inside asyncpg's `_do_execute`, and with
`--native` on round_cost.py 72% of those were in the `send` syscall (12% encoding); but a
send's own CPU is ~30 us (thread_time around the transport's writes, 14,000 writes in
round_cost.py) against ~370 us of wall time: the rest is this process
waiting for the CPU after waking PostgreSQL's backend (py-spy samples wall time; perf
counts sends at 3.7% of the process's CPU). What a send costs both sides is a round trip,
so a round trip fewer: a round of one booking cost this process 166-208 us of CPU less and
PostgreSQL 130-185 less (e.g. 738 -> 572 and 670 -> 515; round_cost.py --read-or-not, three
sessions of 4 alternated runs each in one process, load 2.3-4.5); in rounds of ~28
(decide_bench's concurrent part) the difference is within the noise.
A round that raced after deciding unread (another writer is about: a colleague, a previous
owner of a partition, commands redelivered after a failover) has the lane's next
`READS_AFTER_A_RACE` rounds read first: each such race fails a whole round and drops the
lane's cache (its rollback), which reading first avoids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters import ownership
from allocator.adapters.batch_io import Facts, RoundRaced, Writes, start_round, write_all
from allocator.adapters.messages import Inbox, Outbox
from allocator.adapters.repository import ScheduleRepository
from allocator.adapters.workspace import Workspace
from allocator.domain.policy import Policy
from opd_contracts import CommandEnvelope
from opd_shared.database import is_transient

__all__ = ["READS_AFTER_A_RACE", "SqlTransactions", "SqlUnitOfWork"]

READS_AFTER_A_RACE = 1000  # ~1 s of rounds of one booking at 1,000/s, more in larger rounds


class SqlUnitOfWork:
    def __init__(self, workspace: Workspace, epochs: Mapping[int, int], partitions: int,
                 policy: Policy, today: dt.date, envelopes: Sequence[CommandEnvelope],
                 alone: bool = True, unread: bool = True) -> None:
        self.workspace = workspace
        self.may_be_alone = alone  # off: every round fenced from its start (benches compare)
        self.may_be_unread = unread  # off: every round alone reads first (benches compare)
        self.unread = False  # whether the round decides without reading first (see above)
        self.epochs = epochs  # the partitions this transaction decides for, at our epochs
        self.envelopes = envelopes  # its commands, all of them (fenced ones too)
        self.facts = Facts()  # what entering read
        self.alone = False  # whether the round opens no transaction of its own (see above)
        self.partitions = partitions
        self.policy = policy
        self.today = today

    async def __aenter__(self) -> SqlUnitOfWork:
        try:
            await self.workspace.start_day(self.today)
            self.session, self.driver = await self.workspace.open()
            self.fenced = await self._start()
        except BaseException:
            await self._abandon()
            raise
        self.schedules = ScheduleRepository(self.session, self.workspace, self.partitions,
                                            self.policy)
        self.writes = Writes()
        self.inbox = Inbox(self.writes)
        self.outbox = Outbox(self.writes)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        if kind is not None:
            await self._abandon()

    async def _abandon(self) -> None:
        await self.workspace.forget()  # rolls the transaction back, and drops the cache

    async def _start(self) -> set[int]:
        """Fence, and read what the whole transaction needs to know first, in one round trip
        (`start_round`): which commands were decided before, the seqs of the cached
        schedules they name, and ids. Returns the partitions fenced. A round alone (see
        above) reads the same alone, or nothing at all (see above: a round unread); should a
        cached schedule it names turn out changed, the round begins its transaction after
        all and starts as any other."""
        named = _doctors(self.envelopes)
        cached = [d for d in named if d in self.workspace.cache]
        commands = [e.command_id for e in self.envelopes]
        ids = self.workspace.ids.wanted(len(self.envelopes))
        self.alone = self.may_be_alone and len(cached) == len(named) and all(
            getattr(e.command, "doctor_id", None) for e in self.envelopes)
        owed, self.workspace.reads_owed = self.workspace.reads_owed, max(
            self.workspace.reads_owed - 1, 0)
        if self.alone and self.may_be_unread and not ids and not owed:
            self.unread = True  # as if read: nothing decided, the cached seqs, none fenced
            self.facts = Facts(seqs={d: entry.seq for d in cached
                                     if (entry := self.workspace.cache.get(d))})
            return set()
        if self.alone:
            epochs, self.facts = await start_round(self.driver, self.epochs, commands, cached,
                                                   ids, alone=True)
            if all(self._still_cached(d) for d in cached):
                return ownership.fenced(self.epochs, epochs)
            self.alone, ids, first = False, 0, self.facts.ids
        else:
            first = []
        await self.session.connection()  # the session's transaction, which commit ends
        await self.driver.begin()  # sent now, not with the session's first statement
        epochs, self.facts = await start_round(self.driver, self.epochs, commands, cached,
                                               ids)
        self.facts.ids[:0] = first
        return ownership.fenced(self.epochs, epochs)

    def _still_cached(self, doctor_id: int) -> bool:
        entry = self.workspace.cache.get(doctor_id)
        return entry is not None and self.facts.seqs.get(doctor_id) == entry.seq

    async def prepare(self, envelopes: Sequence[CommandEnvelope]) -> None:
        """What entering read, for the commands to decide: which were decided before, and
        which cached schedules they name still hold."""
        self.inbox.learn(self.facts)
        self.schedules.prepare(_doctors(envelopes), self.facts)

    async def lock_partition(self, partition: int) -> None:
        """A second partition's lock, for a decision that touches two doctors."""
        await ownership.lock_partition(self.session, partition)

    async def commit(self) -> None:
        await self.schedules.write(self.writes)
        self.writes.epochs = {p: e for p, e in self.epochs.items() if p not in self.fenced}
        # A round alone writes alone, unless the session began a transaction meanwhile; the
        # session's commit then ends it (else there is nothing for it to end).
        alone = self.alone and not self.driver.connection.is_in_transaction()
        try:
            await write_all(self.driver, self.writes, alone=alone)
        except RoundRaced:
            if self.unread:  # another writer is about: read first for a while (see above)
                self.workspace.reads_owed = READS_AFTER_A_RACE
            raise
        if alone:
            _end_unsent(self.session)
        else:
            await self.session.commit()
        self.schedules.settle()


class SqlTransactions:
    """One commit lane's transactions, in its workspace (a session, a connection, a cache of
    schedules and a pool of ids, kept from one transaction to the next)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], partitions: int,
                 policy: Policy, cache_size: int, cache_tokens: int | None = None,
                 alone: bool = True, unread: bool = True) -> None:
        self.workspace = Workspace(sessions, cache_size, cache_tokens)
        self.partitions, self.policy = partitions, policy
        self.alone = alone  # whether a round may be alone (see above); benches turn it off
        self.unread = unread  # whether a round alone may skip its reads; benches turn it off

    def begin(self, epochs: Mapping[int, int], now: dt.datetime,
              envelopes: Sequence[CommandEnvelope]) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.workspace, epochs, self.partitions, self.policy, now.date(),
                             envelopes, self.alone, self.unread)

    async def forget(self) -> None:
        await self.workspace.forget()

    def is_transient(self, error: BaseException) -> bool:
        """The database away or asking for a retry, or another writer in between a round's
        reads and its write (decided again from fresh reads)."""
        return isinstance(error, RoundRaced) or is_transient(error)


def _end_unsent(session: AsyncSession) -> None:
    """End the session's transaction when nothing of the round went through the session (a
    round that wrote alone): its commit has no statement to send (the records were settled,
    so there is nothing to flush either), only the session's own bookkeeping, so it is
    called as it is, not through `AsyncSession.commit`, whose greenlet is there for I/O.
    That greenlet cost 23 us of the commit's 41 (round_cost.py, rounds of one booking,
    `thread_time` around the commit); a round of one booking 388 -> 366 us of this
    process's CPU (round_cost.py, medians of 8 alternated pairs, load 1.6-2.7), which
    rounds of n bookings share. Should the commit want the database after all, it raises
    (MissingGreenlet) rather than skip anything: the round fails after its write committed,
    and its commands, tried again, are answered from the inbox."""
    session.sync_session.commit()


def _doctors(envelopes: Sequence[CommandEnvelope]) -> set[int]:
    """The doctors the commands name (a command about a token names none)."""
    return {d for e in envelopes if (d := getattr(e.command, "doctor_id", None))}
