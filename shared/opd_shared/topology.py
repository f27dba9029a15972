"""Broker topology: names, the partition function and idempotent declaration.

Every name starts with the deployment's prefix so that test sessions (or two deployments)
can share one broker without seeing each other's messages.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

__all__ = [
    "DELIVERY_LIMIT",
    "Topology",
    "partition_of_doctor",
    "partition_of_record",
]

READ_MODELS = ("queue_view", "analytics")
# The broker's backstop (`x-delivery-limit`): a message whose consumer died or let go of it
# this many times is dead-lettered by the queue itself. Failures a consumer sees are counted
# by `opd_shared.retries` instead, the same way on every RabbitMQ version. Changing it
# changes the queues' declared arguments, which existing queues would refuse.
DELIVERY_LIMIT = 5


def partition_of_doctor(doctor_id: int, partitions: int) -> int:
    """Stable across processes and machines (never Python's randomized `hash()`)."""
    return zlib.crc32(str(doctor_id).encode()) % partitions


def partition_of_record(record_id: int, partitions: int) -> int:
    """Slot and token ids carry their doctor's partition: the allocator issues them so that
    `id % partitions` is that partition. The gateway can route `/tokens/{id}/...` without a
    lookup, and the partition's single writer stays the only one to touch the record."""
    return record_id % partitions


@dataclass(frozen=True)
class Topology:
    prefix: str
    partitions: int

    @property
    def commands_exchange(self) -> str:
        return f"{self.prefix}.commands"

    @property
    def events_exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dead"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}.dead"

    def routing_key(self, partition: int) -> str:
        return f"p{partition:02d}"

    def partition_queue(self, partition: int) -> str:
        return f"{self.prefix}.alloc.{self.routing_key(partition)}"

    def consumer_queue(self, consumer: str) -> str:
        """The durable queue in which one read model (queue_view, analytics) gets every event."""
        return f"{self.prefix}.{consumer}.events"

    def command_queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-single-active-consumer": True,
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": self.dead_letter_exchange,
        }

    def consumer_queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": self.dead_letter_exchange,
        }

    def all_queue_names(self, consumers: tuple[str, ...] = READ_MODELS) -> list[str]:
        return [
            *(self.partition_queue(p) for p in range(self.partitions)),
            *(self.consumer_queue(c) for c in consumers),
            self.dead_letter_queue,
        ]

    def all_exchange_names(self) -> list[str]:
        return [self.commands_exchange, self.events_exchange, self.dead_letter_exchange]

    async def declare_dead_letters(self, channel: AbstractChannel) -> None:
        exchange = await channel.declare_exchange(
            self.dead_letter_exchange, aio_pika.ExchangeType.FANOUT, durable=True
        )
        queue = await channel.declare_queue(
            self.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange)

    async def declare_commands(self, channel: AbstractChannel) -> AbstractExchange:
        """Commands exchange and every partition queue; safe to repeat from any process."""
        await self.declare_dead_letters(channel)
        exchange = await channel.declare_exchange(
            self.commands_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )
        for partition in range(self.partitions):
            queue = await channel.declare_queue(
                self.partition_queue(partition),
                durable=True,
                arguments=self.command_queue_arguments(),
            )
            await queue.bind(exchange, routing_key=self.routing_key(partition))
        return exchange

    async def declare_events(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(
            self.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def declare_consumer(self, channel: AbstractChannel, consumer: str) -> None:
        """A read model's own durable queue, bound to every event."""
        await self.declare_dead_letters(channel)
        exchange = await self.declare_events(channel)
        queue = await channel.declare_queue(
            self.consumer_queue(consumer), durable=True, arguments=self.consumer_queue_arguments()
        )
        await queue.bind(exchange, routing_key="#")
