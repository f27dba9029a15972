"""Broker topology: the contracts' names, declared idempotently, with the queues' arguments.

Declaring is safe to repeat from any process: each service declares what it publishes to
or consumes from when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

from opd_contracts.topology import TopologyNames

__all__ = ["DELIVERY_LIMIT", "Topology"]

# The broker's backstop (`x-delivery-limit`): a message whose consumer died or let go of it
# this many times is dead-lettered by the queue itself. Failures a consumer sees are counted
# by `opd_shared.retries` instead, the same way on every RabbitMQ version. Changing it
# changes the queues' declared arguments, which existing queues would refuse.
DELIVERY_LIMIT = 5


@dataclass(frozen=True)
class Topology(TopologyNames):
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

    async def declare_dead_letters(self, channel: AbstractChannel) -> None:
        exchange = await channel.declare_exchange(
            self.dead_letter_exchange, aio_pika.ExchangeType.FANOUT, durable=True
        )
        queue = await channel.declare_queue(
            self.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange)

    async def declare_commands(self, channel: AbstractChannel) -> AbstractExchange:
        """Commands exchange and every command queue, each bound to its partitions' keys;
        safe to repeat from any process."""
        await self.declare_dead_letters(channel)
        exchange = await channel.declare_exchange(
            self.commands_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )
        for number in range(self.command_queues):
            queue = await channel.declare_queue(
                self.partition_queue(number),
                durable=True,
                arguments=self.command_queue_arguments(),
            )
            for partition in self.partitions_of(number):
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
