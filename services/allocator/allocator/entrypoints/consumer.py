"""One partition's consumer: the shared batch consumer (`opd_shared.messaging`) on the
partition's queue; each batch decided, replied to, acked, and its events relayed.

Acks come only after the batch's transaction committed, so a crash at any point leaves
the commands in the queue; the inbox turns their redelivery into the same replies.

A command that failed is queued again by `opd_shared.retries`, which counts its tries in
its own header and dead-letters it, with the reason, after the last. The copy goes to the
back of the partition's queue, behind commands that came later, possibly of the same
doctor. That is acceptable: each command is one client's request, decided against the
state at its turn (a repeat answered from the inbox, a move or cancel refused if the state
no longer allows it), and requests from different clients never had an order between them
beyond the gateway's arrival race. What it buys is that a poison command holds its
partition up for milliseconds, not for all of its tries.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable, Sequence

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from allocator.adapters.relay import OutboxRelay
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.errors import Fenced
from opd_contracts import CommandEnvelope, Reply
from opd_shared.messaging import ACK, BatchConsumer, Batching, Delivery, HandBack, Outcome, Retry
from opd_shared.metrics import BATCH_SIZE, COMMANDS_CONSUMED, DECISION_SECONDS
from opd_shared.topology import Topology

__all__ = ["PartitionConsumer"]

OWNER = f"{socket.gethostname()}:{os.getpid()}"


class PartitionConsumer(BatchConsumer[CommandEnvelope]):
    undecodable = "undecodable command"

    def __init__(self, partition: int, topology: Topology, decider: BatchDecider,
                 relay: OutboxRelay, batching: Batching) -> None:
        super().__init__(topology.partition_queue(partition), topology.dead_letter_exchange,
                         batching)
        self.partition, self.decider, self.relay = partition, decider, relay

    async def start(self, connection: AbstractRobustConnection) -> None:
        """Join the partition's consumers; the broker makes one of them active at a time."""
        # Replies need no confirm: they leave only after the commit, and a lost one costs the
        # client a 202 and a repeat that the inbox answers. Waiting for confirms would hold
        # this partition's next batch back.
        self.answers = await connection.channel(publisher_confirms=False)
        await self.consume(connection)

    async def stop(self) -> None:
        """Take no more; decide what was delivered already; then let go of the channels."""
        await super().stop()
        if self.task is not None:
            await self.answers.close()

    def decode(self, message: AbstractIncomingMessage) -> CommandEnvelope:
        return CommandEnvelope.model_validate_json(message.body)

    def trace_items(self, item: CommandEnvelope) -> Iterable[tuple[str, str]]:
        return ((str(item.command_id), f"decide {item.command.type}"),)

    async def handle(self, deliveries: Sequence[Delivery[CommandEnvelope]]) -> list[Outcome]:
        started = time.monotonic()
        if self.decider.epoch is None:  # deliveries come to us: we are the active consumer
            await self.decider.claim(OWNER)
        try:
            results = await self.decider.decide([delivery.item for delivery in deliveries])
        except Fenced as stale:
            self.decider.epoch = None
            raise HandBack(f"partition {self.partition}: {stale}; standing by") from stale
        BATCH_SIZE.observe(len(deliveries))
        DECISION_SECONDS.observe(time.monotonic() - started)
        COMMANDS_CONSUMED.labels(str(self.partition)).inc(len(deliveries))
        self.relay.kick(self.partition)
        # Every waiting client hears first; the acks, which nobody waits for, follow.
        for delivery, result in zip(deliveries, results, strict=True):
            if isinstance(result, Reply):
                await self._reply(delivery.message, result)
        return [ACK if isinstance(result, Reply) else Retry(result) for result in results]

    async def _reply(self, message: AbstractIncomingMessage, reply: Reply) -> None:
        if message.reply_to:
            await self.answers.default_exchange.publish(
                aio_pika.Message(reply.model_dump_json().encode(),
                                 correlation_id=message.correlation_id,
                                 content_type="application/json"),
                routing_key=message.reply_to,
            )
