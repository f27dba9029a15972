"""A desk that hands commands straight to each partition's BatchDecider (no broker, no HTTP),
on a database of its own, so a test controls exactly which commands share a batch."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from allocator.adapters.orm import map_domain
from allocator.domain.fairness import FairnessPolicy
from allocator.entrypoints.batches import BatchDecider
from allocator.settings import AllocatorSettings
from opd_shared.contracts import BookToken, CommandEnvelope, OpenSlot, RegisterDoctor, Reply
from opd_shared.database import migrate
from opd_shared.topology import partition_of_doctor

MIGRATIONS = Path(__file__).parents[2] / "allocator" / "migrations"


def envelope(command: object, command_id: uuid.UUID | None = None) -> CommandEnvelope:
    return CommandEnvelope(command_id=command_id or uuid.uuid4(),
                           issued_at=dt.datetime.now(dt.UTC), fingerprint="f", command=command)


class Desk:
    def __init__(self, settings: AllocatorSettings) -> None:
        self.settings = settings
        self.tomorrow = dt.datetime.now(ZoneInfo(settings.timezone)).date() + dt.timedelta(1)
        self.engine = create_async_engine(settings.database_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.deciders: dict[int, BatchDecider] = {}

    async def decider(self, partition: int) -> BatchDecider:
        if partition not in self.deciders:
            decider = BatchDecider(self.sessions, partition, self.settings.partitions,
                                   self.settings.timezone, FairnessPolicy())
            await decider.claim(f"desk-{partition}")
            self.deciders[partition] = decider
        return self.deciders[partition]

    async def sharing(self, *partitions: int) -> list[BatchDecider]:
        """Deciders of these partitions that share transactions (one group commit)."""
        first = BatchDecider(self.sessions, partitions[0], self.settings.partitions,
                             self.settings.timezone, FairnessPolicy())
        deciders = [first, *(BatchDecider(self.sessions, p, self.settings.partitions,
                                          self.settings.timezone, FairnessPolicy(),
                                          group=first.group) for p in partitions[1:])]
        for decider in deciders:
            await decider.claim(f"group-{decider.partition}")
        return deciders

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
        await self.engine.dispose()
