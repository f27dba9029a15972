"""Doctors' schedules for one batch: from the partition's cache when it can be trusted,
else from the database; and everything the batch must write besides its records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import instance_state

from allocator.adapters.batch_io import Facts, Writes
from allocator.adapters.loading import (
    colleague_slots,
    event_seqs,
    load_schedule,
    load_slots,
    offered,
)
from allocator.adapters.orm import slots, tokens
from allocator.adapters.record_writes import changed_records
from allocator.adapters.schedule_cache import Cached
from allocator.adapters.workspace import Workspace
from allocator.domain.alternatives import SlotFields
from allocator.domain.errors import NotFound
from allocator.domain.model import Doctor, Token
from allocator.domain.policy import Policy
from allocator.domain.schedule import Schedule
from opd_contracts import SlotRecord

__all__ = ["ScheduleRepository", "join_new_tokens"]


def join_new_tokens(session: AsyncSession, new: list[Token]) -> None:
    """New tokens become the session's pending records, as `Session.add` makes them, but
    without its walk of the save-update cascade: a token has no relationship to cascade
    along (orm._construct_plainly refuses to map one that has). The walk was most of what
    `add` cost: a booking's bookkeeping over a lane's session (new tokens added, changed
    records found and settled) took 17.6 us with `add_all`, 13.3 with this
    (bench/record_writes_cost.py, medians of 3 and 2 runs). Through the
    session's private `_save_impl`, `add`'s own step (its version is pinned by uv.lock;
    test_allocator_mapped_records fails if its meaning changes)."""
    save = session.sync_session._save_impl
    for token in new:
        save(instance_state(token))


@dataclass
class _Touched:
    """A schedule this batch uses, and its doctor's seq and counters as the batch found them."""

    entry: Cached
    found_seq: int
    found_counters: dict[dt.date, int] = field(default_factory=dict)


class ScheduleRepository:
    def __init__(self, session: AsyncSession, workspace: Workspace, partitions: int,
                 policy: Policy) -> None:
        self.session, self.cache, self.ids = session, workspace.cache, workspace.ids
        self.driver = workspace.driver
        self.partitions, self.policy = partitions, policy
        self.touched: dict[int, _Touched] = {}
        self.checked: set[int] = set()  # cached doctors whose seq this batch has verified
        self._read: dict[str, list[Any]] = {}  # colleagues' slots, read once a round
        self._colleagues: dict[str, list[SlotRecord]] = {}  # as records, once needed
        self.named: set[int] = set()

    def prepare(self, named: Iterable[int], facts: Facts) -> None:
        """Keep the cached schedules of the doctors the commands name only where their seq
        is still the committed one. Nobody else changes them before the round's write: a
        round fenced from its start holds their partition locks, and the write of a round
        alone (unit_of_work, ADR 0011) fails whole should one of their seqs have moved."""
        self.named = set(named)
        for doctor_id in named:
            entry = self.cache.get(doctor_id)
            if entry is not None and facts.seqs.get(doctor_id) != entry.seq:
                self.cache.drop(doctor_id)
            self.checked.add(doctor_id)
        self.ids.add(facts.ids)

    async def load(self, doctor_id: int, today: dt.date, *also_slots: int) -> Schedule:
        """The doctor with every slot from today on (plus `also_slots`), tokens included."""
        touched = self.touched.get(doctor_id) or await self._touch(doctor_id, today, also_slots)
        schedule = touched.entry.schedule
        missing = [s for s in also_slots if s not in schedule.slots]
        if missing:
            schedule.slots.update((s.id, s) for s in
                                  await load_slots(self.session, doctor_id, missing))
        schedule.changes = []  # what this command decides, and nothing earlier
        return schedule

    async def _touch(self, doctor_id: int, today: dt.date, also_slots: tuple[int, ...]
                     ) -> _Touched:
        entry = await self._trusted(doctor_id)
        if entry is None:
            loaded = await load_schedule(self.session, doctor_id, today, also_slots,
                                         self.policy)
            if loaded is None:
                raise NotFound(f"doctor {doctor_id} does not exist")
            entry = Cached(*loaded)
        touched = _Touched(entry, entry.seq, dict(entry.schedule.counters))
        self.touched[doctor_id] = touched
        return touched

    async def _trusted(self, doctor_id: int) -> Cached | None:
        """The cached schedule, if the doctor's seq still agrees. Callers hold the doctor's
        partition lock (the command's own, or one taken for a transfer), or decide a round
        alone, whose write checks that seq again (ADR 0011)."""
        entry = self.cache.get(doctor_id)
        if entry is None or doctor_id in self.checked:
            return entry
        if (await event_seqs(self.session, [doctor_id])).get(doctor_id) != entry.seq:
            self.cache.drop(doctor_id)
            return None
        return entry

    async def locate_slot(self, slot_id: int) -> int:
        """The doctor of a slot."""
        doctor_id = await self.session.scalar(
            select(slots.c.doctor_id).where(slots.c.id == slot_id))
        if doctor_id is None:
            raise NotFound(f"slot {slot_id} does not exist")
        return int(doctor_id)

    async def locate_token(self, token_id: int) -> tuple[int, int]:
        """(doctor_id, slot_id) of a token."""
        row = (await self.session.execute(
            select(tokens.c.doctor_id, tokens.c.slot_id).where(tokens.c.id == token_id)
        )).first()
        if row is None:
            raise NotFound(f"token {token_id} does not exist")
        return row.doctor_id, row.slot_id

    async def save(self, schedule: Schedule) -> None:
        """New slots join the session; changed records are in it already (written at commit)."""
        for slot in schedule.slots.values():
            if slot not in self.session:
                self.session.add(slot)

    async def add_doctor(self, doctor: Doctor) -> Doctor:
        self.session.add(doctor)
        await self.session.flush()  # the database numbers doctors
        self.touched[doctor.id] = _Touched(Cached(Schedule(doctor, {}, policy=self.policy),
                                                  0), 0)
        return doctor

    async def next_record_id(self, partition: int) -> int:
        return await self.ids.take(self.session, partition, self.partitions)

    def next_event_seqs(self, doctor_id: int, count: int) -> range:
        """Seqs follow on in memory: the write moves each changed doctor's seq by
        compare-and-set from the one found, under the partitions' locks."""
        entry = self.touched[doctor_id].entry
        entry.seq += count
        return range(entry.seq - count + 1, entry.seq + 1)

    async def alternative_candidates(self, doctor: Doctor, today: dt.date
                                     ) -> list[SlotFields]:
        """The doctor's own slots as they are now, and colleagues' slots with room, read
        once a round (those this round holds are shown as they are now).

        At a round's first refusal, colleagues' slots are read for every specialization
        the round's commands name, in one statement, and made records only for a
        specialization a refusal needs. Why: read one specialization at a time, a round of
        refusals over the system bench's ten specializations made ten round trips. A
        refused booking in rounds of 28 (refusal_cost.py, medians of 3 alternated
        invocations, load 1.8-2.1; the read through the session before, loading.py): this
        process 384 -> 94 us of CPU, PostgreSQL 113 -> 36; in rounds of 60, 237 -> 74 and
        54 -> 21; alone in a round, 1,142 -> 478 and 494 -> 438. A round with a single
        refusal reads the other specializations for nothing: a round of 28 with one
        refusal costs about what one without (158 against 143 us a booking here, PostgreSQL
        74 against 54; before, 195 against 160 and 71 against 60).

        Not kept across rounds: a colleague's slot fills or frees in other lanes and other
        processes, and an offer is of slots with room (docs/ARCHITECTURE.md), as of a read
        of this round (test_allocator_alternatives)."""
        specialization = doctor.specialization
        if specialization not in self._colleagues:
            if specialization not in self._read:
                assert self.driver is not None  # opened with the session
                wanted = {specialization, *self._named_specializations()} - set(self._read)
                self._read.update(await colleague_slots(self.driver, wanted, today))
            self._colleagues[specialization] = offered(self._read[specialization])
        own = self.touched[doctor.id].entry.schedule.slots.values()
        return [*own, *(self._live(s) for s in self._colleagues[specialization]
                        if s.doctor_id != doctor.id)]

    def _named_specializations(self) -> set[str]:
        """Those of the doctors the round's commands name whose schedules are at hand
        (loaded by now, or cached)."""
        entries = (t.entry if (t := self.touched.get(d)) else self.cache.get(d)
                   for d in self.named)
        return {e.schedule.doctor.specialization for e in entries if e is not None}

    def _live(self, slot: SlotRecord) -> SlotFields:
        touched = self.touched.get(slot.doctor_id)
        return touched.entry.schedule.slots.get(slot.id, slot) if touched else slot

    async def write(self, writes: Writes) -> None:
        """Records of every schedule the batch changed, their counters and event seqs: all
        go with the batch's other writes, in its one write statement (record_writes). The
        tokens its schedules made join the session first, all at once: a slot's tokens add
        none to it (adapters/orm.py)."""
        for touched in self.touched.values():
            join_new_tokens(self.session, touched.entry.schedule.take_new_tokens())
        writes.records = changed_records(self.session)
        writes.records.settle(self.session)  # so that a flush leaves them alone
        if self.session.new or self.session.dirty or self.session.deleted:
            await self.session.flush()  # a doctor's own changes (rare: admin commands)
        writes.counters = [(d, day, n) for d, t in self.touched.items()
                           for day, n in t.entry.schedule.counters.items()
                           if t.found_counters.get(day) != n]
        writes.seqs = [(d, t.found_seq, t.entry.seq) for d, t in self.touched.items()
                       if t.entry.seq != t.found_seq]

    def settle(self) -> None:
        """After commit: the schedules are as committed, worth keeping for the next batch."""
        for doctor_id, touched in self.touched.items():
            self.cache.keep(doctor_id, touched.entry)
