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
from collections.abc import Iterable, Iterator, Sequence

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from allocator.adapters.relay import OutboxRelay
from allocator.adapters.replies import ReplyBatcher
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.errors import Fenced
from allocator.service_layer.rounds import Result
from opd_contracts import CommandBatch, CommandEnvelope, Reply
from opd_shared.messaging import (
    ACK,
    BatchConsumer,
    Batching,
    DeadLetter,
    Delivery,
    HandBack,
    Items,
    Outcome,
    Retry,
    Unreadable,
    items_of,
    of_items,
)
from opd_shared.metrics import BATCH_SIZE, COMMANDS_CONSUMED, DECISION_SECONDS
from opd_shared.topology import Topology

__all__ = ["PartitionConsumer"]

OWNER = f"{socket.gethostname()}:{os.getpid()}"
Commands = Items[CommandEnvelope]


class PartitionConsumer(BatchConsumer[Commands]):
    undecodable = "undecodable command"

    def __init__(self, partition: int, topology: Topology, decider: BatchDecider,
                 relay: OutboxRelay, batching: Batching) -> None:
        super().__init__(topology.partition_queue(partition), topology.dead_letter_exchange,
                         batching)
        self.partition, self.decider, self.relay = partition, decider, relay

    async def start(self, connection: AbstractRobustConnection,
                    replies: ReplyBatcher) -> None:
        """Join the partition's consumers; the broker makes one of them active at a time.
        `replies` is shared by every partition, so a round's replies leave together."""
        self.replies = replies
        await self.consume(connection)

    def decode(self, message: AbstractIncomingMessage) -> Commands:
        """A version-2 batch of commands, or a version-1 message's one command."""
        return items_of(message.body, CommandEnvelope, CommandBatch, "commands")

    def trace_items(self, item: Commands) -> Iterable[tuple[str, str]]:
        return ((str(command.command_id), f"decide {command.command.type}")
                for command in item.readable())

    async def handle(self, deliveries: Sequence[Delivery[Commands]]) -> list[Outcome]:
        started = time.monotonic()
        if self.decider.epoch is None:  # deliveries come to us: we are the active consumer
            await self.decider.claim(OWNER)
        commands = [command for delivery in deliveries for command in delivery.item.readable()]
        try:
            results = await self.decider.decide(commands)
        except Fenced as stale:
            self.decider.epoch = None
            raise HandBack(f"partition {self.partition}: {stale}; standing by") from stale
        BATCH_SIZE.observe(len(commands))
        DECISION_SECONDS.observe(time.monotonic() - started)
        COMMANDS_CONSUMED.labels(str(self.partition)).inc(len(commands))
        # Every waiting client hears first; the events, which no client waits for, follow
        # (kicked first, the relay's encoding ran ahead of the replies' flush), and then the
        # acks, which nobody waits for.
        decided = iter(results)
        outcomes = [self._answer(delivery, decided) for delivery in deliveries]
        self.relay.kick(self.partition)
        return outcomes

    def _answer(self, delivery: Delivery[Commands], decided: Iterator[Result]) -> Outcome:
        """Reply to each decided item of one delivery; its outcome folds its items': a bad
        item parks the delivery (its decided neighbours come back as repeats if replayed),
        a failed one retries it."""
        outcomes: list[Outcome] = []
        for item in delivery.item.items:
            if isinstance(item, Unreadable):
                outcomes.append(DeadLetter(f"{self.undecodable}: {item.reason}"))
                continue
            result = next(decided)
            if isinstance(result, Reply):
                self._reply(delivery, result)
                outcomes.append(ACK)
            else:
                outcomes.append(Retry(result))
        return of_items(outcomes)

    def _reply(self, delivery: Delivery[Commands], reply: Reply) -> None:
        message = delivery.message
        if message.reply_to:
            self.replies.send(message.reply_to, reply, version=delivery.item.version,
                              correlation_id=message.correlation_id)
