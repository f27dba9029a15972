"""A desk for the service layer without servers: every partition's BatchDecider on one
commit lane over the fake store, deciding with the handlers a test gives it. Doctors and
slots are made through the real handlers, as the gateway's commands would make them."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.decided import Handlers
from allocator.service_layer.group_commit import GroupCommit, Result
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, CommandEnvelope, OpenSlot, RegisterDoctor, Reply
from opd_contracts.topology import partition_of_doctor

from .fakes import FakeTransactions, Store

ZONE = "Asia/Kolkata"
PARTITIONS = 4


def envelope(command: object, fingerprint: str = "f",
             command_id: uuid.UUID | None = None) -> CommandEnvelope:
    return CommandEnvelope(command_id=command_id or uuid.uuid4(),
                           issued_at=dt.datetime.now(dt.UTC), fingerprint=fingerprint,
                           command=command)


class Desk:
    def __init__(self, handlers: Handlers = HANDLERS) -> None:
        self.store = Store()
        self.lane = GroupCommit(FakeTransactions(self.store, PARTITIONS), ZONE, handlers,
                                first_pause=0.001)
        self.deciders: dict[int, BatchDecider] = {}
        self.tomorrow = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=1)

    async def decider(self, partition: int) -> BatchDecider:
        """The partition's decider, which claims the partition the first time it is asked."""
        if partition not in self.deciders:
            self.deciders[partition] = BatchDecider(partition, self.store.claim, self.lane)
            await self.deciders[partition].claim(f"desk-{partition}")
        return self.deciders[partition]

    async def batch(self, *envelopes: CommandEnvelope) -> list[Result]:
        """Decide these commands as one batch of their (common) partition."""
        partition = envelopes[0].command.partition(PARTITIONS)
        return await (await self.decider(partition)).decide(list(envelopes))

    async def decide(self, command: object) -> Reply:
        [reply] = await self.batch(envelope(command))
        assert isinstance(reply, Reply), reply
        return reply

    async def doctor(self, partition: int = 0) -> int:
        """A new doctor whom `partition` decides for."""
        while True:
            made = await self.decide(RegisterDoctor(name="Dr. Fake", specialization="ENT"))
            if partition_of_doctor(made.result["id"], PARTITIONS) == partition:
                return made.result["id"]

    async def slot(self, doctor_id: int, capacity: int = 5) -> dict:
        return (await self.decide(OpenSlot(
            doctor_id=doctor_id, date=self.tomorrow, start_time=dt.time(9),
            end_time=dt.time(10), max_capacity=capacity))).result

    def booking(self, slot: dict, name: str = "Patient") -> BookToken:
        return BookToken(doctor_id=slot["doctor_id"], slot_id=slot["id"], patient_name=name,
                         source="online")

    def booked(self, slot: dict) -> list[str]:
        """The names of the patients the store has committed in `slot`."""
        committed = self.store.schedules[slot["doctor_id"]].slots[slot["id"]]
        return [token.patient_name for token in committed.tokens]

    def committed(self, *envelopes: CommandEnvelope) -> list[list[uuid.UUID]]:
        """Of these commands, those each commit carried (commits with none left out)."""
        ids = {e.command_id for e in envelopes}
        return [mine for c in self.store.commits if (mine := [i for i in c if i in ids])]
