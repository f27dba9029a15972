"""After a round the consumer tells the relay which partitions have events to publish: those
with a command that succeeded. A partition whose commands were all refused committed no
event, and a relay call for it (three round trips that find nothing) is not made."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

from allocator.entrypoints.consumer import CommandQueueConsumer
from opd_contracts import BookToken, CommandEnvelope, ErrorCode, Reply
from opd_contracts.topology import partition_of_doctor
from opd_shared.messaging import Batching, Delivery, Items
from opd_shared.topology import Topology

PARTITIONS = 4


class Decider:
    """A partition's decider that refuses, or books, every command it is handed."""

    def __init__(self, partition: int, refuses: bool) -> None:
        self.partition, self.refuses, self.epoch = partition, refuses, 1

    async def decide(self, envelopes: list[CommandEnvelope]) -> list[Reply]:
        if self.refuses:
            return [Reply(command_id=e.command_id, ok=False, code=ErrorCode.SLOT_FULL,
                          detail="full") for e in envelopes]
        return [Reply(command_id=e.command_id, ok=True, result={}) for e in envelopes]


class Relay:
    def __init__(self) -> None:
        self.kicked: list[int] = []

    def kick(self, partition: int) -> None:
        self.kicked.append(partition)


def _booking(partition: int) -> CommandEnvelope:
    """A booking of a doctor of `partition` (a booking is routed by its doctor)."""
    doctor = next(d for d in range(1, 100) if partition_of_doctor(d, PARTITIONS) == partition)
    return CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=doctor, slot_id=1, patient_name="P", source="online"))


async def _kicked_after(refusing: set[int], booked_in: list[int]) -> list[int]:
    """The partitions kicked after one batch of a queue carrying every partition."""
    relay = Relay()
    deciders = [Decider(p, p in refusing) for p in range(PARTITIONS)]
    consumer = CommandQueueConsumer(0, Topology("test", PARTITIONS, queues=1),
                                    deciders, relay, Batching(10, 0.01, 1.0))  # type: ignore[arg-type]
    envelopes = [_booking(p) for p in booked_in]
    assert [e.command.partition(PARTITIONS) for e in envelopes] == booked_in
    message = SimpleNamespace(reply_to=None, correlation_id=None)
    await consumer.handle([Delivery(message, Items(2, envelopes))])  # type: ignore[arg-type]
    return relay.kicked


async def test_a_partition_whose_commands_were_all_refused_is_not_relayed():
    assert await _kicked_after(refusing={1, 3}, booked_in=[0, 1, 2, 3, 1]) == [0, 2]


async def test_every_partition_with_a_booking_is_relayed():
    assert sorted(await _kicked_after(refusing=set(), booked_in=[3, 0, 2])) == [0, 2, 3]
