"""The service layer's ports in memory (as in cosmicpython's FakeUnitOfWork): a store that
keeps what was committed, and units of work that change copies of it until they commit, so
a transaction that fails leaves the store as it was. The store's one constraint is the
database's capacity CHECK, so a domain bug can be refused at commit here as well.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from allocator.domain.schedule import Schedule
from opd_contracts import CommandEnvelope, EventEnvelope, Reply

from .fake_schedules import FakeSchedules


class Transient(Exception):
    """What the fake store says for "not now" (the database away, a deadlock)."""


class CheckViolation(Exception):
    """The capacity CHECK: a slot holding more tokens than its places and overflow."""


@dataclass
class Store:
    """What is committed: schedules, event seqs, inbox, outbox, and partitions' epochs."""

    schedules: dict[int, Schedule] = field(default_factory=dict)
    seqs: dict[int, int] = field(default_factory=dict)
    inbox: dict[uuid.UUID, tuple[str, Reply]] = field(default_factory=dict)
    outbox: list[tuple[int, EventEnvelope]] = field(default_factory=list)
    epochs: dict[int, int] = field(default_factory=dict)
    commits: list[list[uuid.UUID]] = field(default_factory=list)  # each one's commands
    forgotten: int = 0
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def claim(self, partition: int, owner: str, /) -> int:
        self.epochs[partition] = self.epochs.get(partition, 0) + 1
        return self.epochs[partition]


class FakeInbox:
    def __init__(self, store: Store) -> None:
        self.known = dict(store.inbox)
        self.new: dict[uuid.UUID, tuple[str, Reply]] = {}

    def find(self, command_id: uuid.UUID) -> tuple[str, Reply] | None:
        return self.known.get(command_id)

    def record(self, fingerprint: str, reply: Reply, now: dt.datetime) -> None:
        self.known[reply.command_id] = self.new[reply.command_id] = (fingerprint, reply)


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[tuple[int, EventEnvelope]] = []

    def add(self, events: list[EventEnvelope], partition: int) -> None:
        self.events.extend((partition, e) for e in events)


class FakeUnitOfWork:
    def __init__(self, store: Store, epochs: Mapping[int, int], partitions: int) -> None:
        self.store, self.epochs, self.partitions = store, epochs, partitions
        self.schedules = FakeSchedules(store, partitions)
        self.inbox, self.outbox = FakeInbox(store), FakeOutbox()

    async def __aenter__(self) -> FakeUnitOfWork:
        self.fenced = {p for p, e in self.epochs.items() if self.store.epochs.get(p) != e}
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Nothing to roll back: only copies were changed."""

    async def prepare(self, envelopes: Sequence[CommandEnvelope]) -> None:
        """The fake reads nothing ahead: its store is in memory."""

    async def lock_partition(self, partition: int) -> None:
        """One process, one event loop: nobody to wait for."""

    async def commit(self) -> None:
        for schedule in self.schedules.touched.values():
            for slot in schedule.slots.values():
                if slot.current_count > slot.max_capacity + slot.overflow_count:
                    raise CheckViolation(f"slot {slot.id} is over its capacity")
        self.store.schedules.update(self.schedules.touched)
        self.store.seqs.update(self.schedules.seqs)
        self.store.inbox.update(self.inbox.new)
        self.store.outbox.extend(self.outbox.events)
        self.store.commits.append(list(self.inbox.new))


@dataclass
class FakeTransactions:
    store: Store
    partitions: int = 4

    def begin(self, epochs: Mapping[int, int], now: dt.datetime,
              envelopes: Sequence[CommandEnvelope]) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store, epochs, self.partitions)

    async def forget(self) -> None:
        self.store.forgotten += 1

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, Transient)
