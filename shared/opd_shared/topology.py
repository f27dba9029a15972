"""Broker topology: the contracts' names, declared idempotently, with the queues' arguments.

Declaring is safe to repeat from any process: each service declares what it publishes to
or consumes from when it starts. The command queues are checked first
(`Topology.check_command_queues`): a layout left by another `OPD_COMMAND_QUEUES` is not
declared over.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from aio_pika.exceptions import ChannelNotFoundEntity

from opd_contracts.topology import TopologyNames
from opd_shared.broker_nodes import connect

__all__ = ["DELIVERY_LIMIT", "CommandQueuesDisagree", "FoundQueue", "Topology"]

# The broker's backstop (`x-delivery-limit`): a message whose consumer died or let go of it
# this many times is dead-lettered by the queue itself. Failures a consumer sees are counted
# by `opd_shared.retries` instead, the same way on every RabbitMQ version. Changing it
# changes the queues' declared arguments, which existing queues would refuse.
DELIVERY_LIMIT = 5
# How long some of this layout's queues alone are taken for another service declaring them
# (it takes ~10 ms) before they are taken for an older layout of fewer queues.
DECLARING_SECONDS = 2.0
PROCEDURE = "docs/OPERATIONS.md, \"Changing the number of command queues\""


class CommandQueuesDisagree(RuntimeError):
    """The broker holds command queues of another layout than `OPD_COMMAND_QUEUES` makes:
    starting would leave commands routed by the old layout where nothing consumes them (a
    booking accepted and never decided)."""


@dataclass(frozen=True)
class FoundQueue:
    """A command queue the broker holds, as a passive declare sees it."""

    number: int
    name: str
    messages: int
    consumers: int

    def __str__(self) -> str:
        return f"{self.name} ({self.messages} messages, {self.consumers} consumers)"


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

    async def check_command_queues(self, amqp_url: str,
                                   declaring_s: float = DECLARING_SECONDS) -> None:
        """Refuse to start over command queues of another layout: raise
        `CommandQueuesDisagree`, naming the queues and the procedure.

        A queue stays bound to the keys of the layout that declared it, and declaring
        another layout adds queues and bindings beside the old ones (AMQP cannot list
        bindings): an old queue would keep the commands it holds, and go on getting those
        an old gateway sends, where no allocator of the new layout consumes them. So the
        queues the broker holds must be none (a fresh broker) or exactly this layout's.
        Which there are is seen by a passive declare of every name a layout can have
        (one per partition), all at once, on a connection of its own (below): ~25 ms for
        16 partitions on the shared 2-core machine (BENCHMARKS.md, "Command-queue check").

        Empty ones refuse too, not deleted here: one still carries the old bindings, so
        a kept queue would get commands of partitions it does not carry (parked as
        misrouted), and RabbitMQ cannot delete a quorum queue only if it is empty and
        unused (`if-empty`, `if-unused`: NOT_IMPLEMENTED, which closes the connection),
        so a command or a consumer arriving meanwhile would be deleted with it.

        Some of this layout's queues and none other is also what a service starting beside
        this one leaves while it declares them (the allocator and the gateway start
        together): that is looked at again for up to `declaring_s` before it refuses, as an
        older layout of fewer queues (a subset too) stays one."""
        mine = set(range(self.command_queues))
        deadline = asyncio.get_running_loop().time() + declaring_s
        while True:
            found = await self._found_command_queues(amqp_url)
            numbers = {queue.number for queue in found}
            if not numbers or numbers == mine:
                return
            if not numbers < mine or asyncio.get_running_loop().time() >= deadline:
                raise CommandQueuesDisagree(self._disagreement(found))
            await asyncio.sleep(0.1)

    async def _found_command_queues(self, amqp_url: str) -> list[FoundQueue]:
        """A passive declare of a missing queue closes its channel. On the service's own
        connection that was seen to kill it (504 "second 'channel.open' seen": aiormq gave
        a new channel the number of one whose close-ok had not left yet) and a robust
        channel would be reopened, so the probes have a plain connection of their own,
        each on a channel number no other probe uses."""
        # A layout of Q queues has those numbered 0 to Q - 1, each named after its first
        # partition: every name any layout can have is one of one queue per partition.
        names = [replace(self, queues=0).partition_queue(n) for n in range(self.partitions)]
        async with await connect(amqp_url) as connection:
            seen = await asyncio.gather(*(_passively(connection, number + 1, name)
                                          for number, name in enumerate(names)))
        return [FoundQueue(number, name, *counts)
                for number, (name, counts) in enumerate(zip(names, seen, strict=True))
                if counts is not None]

    def _disagreement(self, found: list[FoundQueue]) -> str:
        numbers = sorted(queue.number for queue in found)
        old = (f"as OPD_COMMAND_QUEUES={len(numbers)} laid them out"
               if numbers == list(range(len(numbers))) else "of no complete layout")
        mine = ", ".join(self.partition_queue(q) for q in range(self.command_queues))
        deletes = "; ".join(f"rabbitmqctl delete_queue {queue.name}" for queue in found)
        return (f"OPD_COMMAND_QUEUES={self.command_queues} (OPD_PARTITIONS={self.partitions}) "
                f"makes the command queues {mine}, but the broker holds "
                f"{', '.join(map(str, found))}, {old}. Commands routed by that layout would "
                f"wait where no allocator of this one consumes them. Either set "
                f"OPD_COMMAND_QUEUES to the value the running services use, or change it by "
                f"the procedure ({PROCEDURE}): stop the gateways, let the allocators empty "
                f"those queues (0 messages each), stop the allocators, delete the queues "
                f"({deletes}), start with the new value.")

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


async def _passively(connection: AbstractConnection, channel_number: int,
                     name: str) -> tuple[int, int] | None:
    """The queue's messages and consumers, or None when there is no such queue."""
    channel = connection.channel(channel_number, publisher_confirms=False)
    await channel.initialize()
    try:
        declared = await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        return None  # the broker closed the channel
    await channel.close()
    result = declared.declaration_result
    return result.message_count or 0, result.consumer_count or 0
