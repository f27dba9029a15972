"""One command queue's consumer: the shared batch consumer (`opd_shared.messaging`) on the
queue, which carries one partition or several (`OPD_COMMAND_QUEUES`); each partition's
commands decided by that partition's decider, replied to, acked, and their events relayed.

Acks come only after the batch's transaction committed, so a crash at any point leaves
the commands in the queue; the inbox turns their redelivery into the same replies.

The queue, not the partition, is what the broker gives to one consumer at a time, so this
process claims every partition of the queue when deliveries start coming to it, and hands
the whole queue back when any of them turns out to be another's.

A command that failed is queued again by `opd_shared.retries`, which counts its tries in
its own header and dead-letters it, with the reason, after the last. The copy goes to the
back of the queue, behind commands that came later, possibly of the same
doctor. That is acceptable: each command is one client's request, decided against the
state at its turn (a repeat answered from the inbox, a move or cancel refused if the state
no longer allows it), and requests from different clients never had an order between them
beyond the gateway's arrival race. What it buys is that a poison command holds its
queue up for milliseconds, not for all of its tries.
"""

from __future__ import annotations

import asyncio
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

__all__ = ["CommandQueueConsumer", "Misrouted"]

OWNER = f"{socket.gethostname()}:{os.getpid()}"
Commands = Items[CommandEnvelope]


class Misrouted(Exception):
    """A command of a partition its queue does not carry: the services disagree about
    OPD_PARTITIONS or OPD_COMMAND_QUEUES. Parked: no retry can route it right."""


class CommandQueueConsumer(BatchConsumer[Commands]):
    undecodable = "undecodable command"

    def __init__(self, queue: int, topology: Topology, deciders: Sequence[BatchDecider],
                 relay: OutboxRelay, batching: Batching) -> None:
        super().__init__(topology.partition_queue(queue), topology.dead_letter_exchange,
                         batching)
        self.queue, self.partitions, self.relay = queue, topology.partitions, relay
        self.deciders = {decider.partition: decider for decider in deciders}
        # Several batches may be in hand (`Batching.in_flight`): one claims, the rest wait
        # for its epochs. Claimed by each, every claim fenced the batches already deciding.
        self._claiming = asyncio.Lock()

    async def start(self, connection: AbstractRobustConnection,
                    replies: ReplyBatcher) -> None:
        """Join the queue's consumers; the broker makes one of them active at a time.
        `replies` is shared by every queue, so a round's replies leave together."""
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
        epochs = await self._claimed()
        commands = [command for delivery in deliveries for command in delivery.item.readable()]
        try:
            results, decided, changed = await self._decide(commands)
        except Fenced as stale:
            for partition, decider in self.deciders.items():
                if decider.epoch == epochs[partition]:  # not claimed again since
                    decider.epoch = None
            raise HandBack(f"queue {self.queue}: {stale}; standing by") from stale
        BATCH_SIZE.observe(len(commands))
        DECISION_SECONDS.observe(time.monotonic() - started)
        # Every waiting client hears first; the events, which no client waits for, follow
        # (kicked first, the relay's encoding ran ahead of the replies' flush), and then the
        # acks, which nobody waits for.
        answers = iter(results)
        outcomes = [self._answer(delivery, answers) for delivery in deliveries]
        for partition, count in decided.items():
            COMMANDS_CONSUMED.labels(str(partition)).inc(count)
        for partition in changed:
            self.relay.kick(partition)
        return outcomes

    async def _claimed(self) -> dict[int, int | None]:
        """Each partition's epoch, claimed now where it has none: deliveries come to us, so
        the broker made us the queue's active consumer."""
        async with self._claiming:
            for decider in self.deciders.values():
                if decider.epoch is None:
                    await decider.claim(OWNER)
            return {partition: d.epoch for partition, d in self.deciders.items()}

    async def _decide(self, commands: list[CommandEnvelope]
                      ) -> tuple[list[Result], dict[int, int], list[int]]:
        """Each command's result, in order, how many each partition decided, and the
        partitions whose events the relay is to publish: every partition's share goes to its
        own decider at once, so they share rounds.

        Only a command that succeeded can have committed events (a refusal, the answer to a
        reused key and a failure commit none), so a partition whose commands were all
        refused is not relayed: its relay call (three round trips and a claim that
        finds nothing, ~300-500 us of this process's CPU and ~200 of PostgreSQL's,
        bench/relay_costs.py) would publish nothing. Events a failed relay call left are
        published by the partition's next relay call or the sweeper, as before."""
        partitions = [command.command.partition(self.partitions) for command in commands]
        shares: dict[int, list[CommandEnvelope]] = {}
        for partition, command in zip(partitions, commands, strict=True):
            if partition in self.deciders:
                shares.setdefault(partition, []).append(command)
        decided = await asyncio.gather(
            *(self.deciders[p].decide(share) for p, share in shares.items()),
            return_exceptions=True)
        answers: dict[int, Iterator[Result]] = {}
        changed = []
        for partition, results in zip(shares, decided, strict=True):
            if isinstance(results, BaseException):
                raise results
            answers[partition] = iter(results)
            if any(isinstance(r, Reply) and r.ok for r in results):
                changed.append(partition)
        return ([next(answers[p]) if p in answers
                 else Misrouted(f"a command of partition {p} on queue {self.queue}")
                 for p in partitions],
                {p: len(share) for p, share in shares.items()}, changed)

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
            elif isinstance(result, Misrouted):
                outcomes.append(DeadLetter(str(result)))
            else:
                outcomes.append(Retry(result))
        return of_items(outcomes)

    def _reply(self, delivery: Delivery[Commands], reply: Reply) -> None:
        message = delivery.message
        if message.reply_to:
            self.replies.send(message.reply_to, reply, version=delivery.item.version,
                              correlation_id=message.correlation_id)
