"""What the service layer needs from the world, as protocols: the adapters implement them on
PostgreSQL (adapters/unit_of_work.py and its parts), the unit tests in memory, and nothing
in the service layer knows which one it was given.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence, Set
from types import TracebackType
from typing import Protocol, Self

from allocator.domain.alternatives import SlotFields
from allocator.domain.model import Doctor
from allocator.domain.schedule import Schedule
from opd_contracts import CommandEnvelope, EventEnvelope, Reply

__all__ = ["Claim", "Inbox", "Outbox", "Schedules", "Transactions", "UnitOfWork"]


class Inbox(Protocol):
    """Commands already decided, with the reply each got: a repeat gets the same one."""

    def find(self, command_id: uuid.UUID) -> tuple[str, Reply] | None:
        """The fingerprint and reply of a command decided before or earlier in this batch."""

    def record(self, fingerprint: str, reply: Reply, now: dt.datetime) -> None: ...


class Outbox(Protocol):
    """Events committed with the decisions that made them, published after the commit."""

    def add(self, events: list[EventEnvelope], partition: int) -> None:
        """Events of a command of `partition` (whose relay publishes them, in order)."""


class Schedules(Protocol):
    """Doctors' schedules (the aggregate: a doctor, their slots from today on, the tokens)."""

    async def load(self, doctor_id: int, today: dt.date, *also_slots: int) -> Schedule:
        """The doctor with every slot from today on (plus `also_slots`); NotFound if none."""

    async def add_doctor(self, doctor: Doctor) -> Doctor:
        """The doctor, numbered, with an empty schedule."""

    async def save(self, schedule: Schedule) -> None: ...

    async def locate_slot(self, slot_id: int) -> int:
        """The doctor of a slot; NotFound if there is no such slot."""

    async def locate_token(self, token_id: int) -> tuple[int, int]:
        """(doctor_id, slot_id) of a token; NotFound if there is no such token."""

    async def next_record_id(self, partition: int) -> int:
        """A slot or token id whose remainder is the partition (the gateway routes by it)."""

    def next_event_seqs(self, doctor_id: int, count: int) -> range:
        """The next `count` event seqs of a doctor this transaction loaded."""

    async def alternative_candidates(self, doctor: Doctor, today: dt.date
                                     ) -> list[SlotFields]:
        """The doctor's own slots and colleagues' slots with room, as they are now."""


class UnitOfWork(Protocol):
    """One transaction for the batches of one or more partitions. Entering it fences those
    partitions: `fenced` holds those another process owns now, which must not be decided."""

    @property
    def inbox(self) -> Inbox: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def schedules(self) -> Schedules: ...

    @property
    def partitions(self) -> int:
        """How many partitions there are, to find a doctor's."""

    @property
    def fenced(self) -> Set[int]: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        """Leaving on an error rolls everything back, and trusts nothing read so far."""

    async def prepare(self, envelopes: Sequence[CommandEnvelope]) -> None:
        """Read what the whole transaction needs to know first, before any decision."""

    async def lock_partition(self, partition: int) -> None:
        """A second partition's lock, for a decision that touches two doctors."""

    async def commit(self) -> None: ...


class Transactions(Protocol):
    """Where one commit lane's units of work come from, one at a time."""

    def begin(self, epochs: Mapping[int, int], now: dt.datetime,
              envelopes: Sequence[CommandEnvelope]) -> UnitOfWork:
        """A unit of work deciding for these partitions, at these epochs, on `now`'s day,
        the commands `envelopes` (entering it may read what they need with the fencing)."""

    async def forget(self) -> None:
        """Trust nothing kept from earlier transactions (a partition changed hands)."""

    def is_transient(self, error: BaseException) -> bool:
        """The store's doing, worth the same transaction again (away, deadlocked), as
        opposed to the command's (a broken constraint, a bug)."""


class Claim(Protocol):
    async def __call__(self, partition: int, owner: str, /) -> int:
        """Become the partition's owner: a new epoch that fences out every earlier one."""
