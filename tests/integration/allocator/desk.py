"""A desk that hands commands straight to each partition's BatchDecider (no broker, no HTTP),
on a database of its own, so a test controls exactly which commands share a batch, and
which handlers decide them."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.orm import map_domain
from allocator.adapters.ownership import claim
from allocator.adapters.unit_of_work import SqlTransactions
from allocator.bootstrap import MIGRATIONS
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.decided import Handlers
from allocator.service_layer.group_commit import GroupCommit
from allocator.service_layer.handlers import HANDLERS
from allocator.settings import AllocatorSettings
from opd_contracts import BookToken, CommandEnvelope, OpenSlot, RegisterDoctor, Reply
from opd_contracts.topology import partition_of_doctor
from opd_shared.database import migrate, new_engine


def handlers_failing_for(patient_name: str) -> Handlers:
    """The allocator's handlers, with a booking for `patient_name` failing as a bug would:
    its round is rolled back and the others of it decided again."""
    async def book(uow, cmd, now):
        if cmd.patient_name == patient_name:
            raise RuntimeError("a bug")
        return await HANDLERS[BookToken](uow, cmd, now)

    return {**HANDLERS, BookToken: book}


def envelope(command: object, command_id: uuid.UUID | None = None) -> CommandEnvelope:
    return CommandEnvelope(command_id=command_id or uuid.uuid4(),
                           issued_at=dt.datetime.now(dt.UTC), fingerprint="f", command=command)


class Desk:
    def __init__(self, settings: AllocatorSettings) -> None:
        self.settings = settings
        self.tomorrow = dt.datetime.now(ZoneInfo(settings.timezone)).date() + dt.timedelta(1)
        self.engine = new_engine(settings.database_url)  # the product's engine
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.deciders: dict[int, BatchDecider] = {}  # the current owner of each partition
        self.made: list[BatchDecider] = []

    async def decider(self, partition: int) -> BatchDecider:
        if partition not in self.deciders:
            decider = self._new(partition)
            await decider.claim(f"desk-{partition}")
            self.deciders[partition] = decider
        return self.deciders[partition]

    def _new(self, partition: int, lane: GroupCommit | None = None) -> BatchDecider:
        """A decider with a lane of its own (the real handlers), or on `lane`."""
        decider = BatchDecider(partition, partial(claim, self.sessions), lane or self.lane())
        self.made.append(decider)
        return decider

    def lane(self, handlers: Handlers = HANDLERS) -> GroupCommit:
        """A commit lane of its own, deciding with `handlers`."""
        transactions = SqlTransactions(self.sessions, self.settings.partitions,
                                       Policy(FairnessPolicy()), cache_size=256)
        return GroupCommit(transactions, self.settings.timezone, handlers)

    async def sharing(self, *partitions: int, handlers: Handlers = HANDLERS
                      ) -> list[BatchDecider]:
        """Deciders of these partitions that share transactions (one group commit, deciding
        with `handlers`); they own the partitions from now on, for the test that asked."""
        lane = self.lane(handlers)
        deciders = [self._new(p, lane) for p in partitions]
        for decider in deciders:
            await decider.claim(f"group-{decider.partition}")
            self.deciders.pop(decider.partition, None)  # stale now: the next asks claim anew
        return deciders

    async def usurp(self, partition: int) -> BatchDecider:
        """Another process takes the partition over: whoever decided for it is stale now."""
        usurper = self._new(partition)
        await usurper.claim(f"usurper-{partition}")
        self.deciders[partition] = usurper
        return usurper

    async def batch(self, *envelopes: CommandEnvelope) -> list[Reply | Exception]:
        """Decide these commands as one batch of their (common) partition."""
        partition = envelopes[0].command.partition(self.settings.partitions)
        return await (await self.decider(partition)).decide(list(envelopes))

    async def decide(self, command: object) -> Reply:
        [reply] = await self.batch(envelope(command))
        assert isinstance(reply, Reply), reply
        return reply

    async def doctor(self, partition: int, specialization: str = "General Medicine") -> int:
        """A new doctor whom `partition` decides for."""
        if not 0 <= partition < self.settings.partitions:  # no doctor would ever match
            raise ValueError(f"partition {partition} of {self.settings.partitions}")
        while True:
            made = await self.decide(RegisterDoctor(name="Dr. Desk", specialization=specialization))
            if partition_of_doctor(made.result["id"], self.settings.partitions) == partition:
                return made.result["id"]

    async def slot(self, doctor_id: int, capacity: int = 5) -> dict:
        return (await self.decide(OpenSlot(
            doctor_id=doctor_id, date=self.tomorrow,
            start_time=dt.time(9), end_time=dt.time(10), max_capacity=capacity))).result

    def booking(self, slot: dict, name: str = "Patient") -> BookToken:
        return BookToken(doctor_id=slot["doctor_id"], slot_id=slot["id"], patient_name=name,
                         source="online")

    async def sql(self, statement: str, **params: object) -> object:
        async with self.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return result.scalar() if result.returns_rows else None

    async def open(self) -> Desk:
        map_domain()
        await migrate(self.settings.database_url, MIGRATIONS)
        return self

    async def close(self) -> None:
        for decider in self.made:
            await decider.group.forget()  # each lane keeps a connection between batches
        await self.engine.dispose()
