"""One partition's consumer: batches deliveries, decides them, replies, acks, relays events.

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

import asyncio
import logging
import os
import socket
import time

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from pydantic import ValidationError

from allocator.adapters.relay import OutboxRelay
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.errors import Fenced
from opd_contracts import CommandEnvelope, Reply
from opd_shared.metrics import BATCH_SIZE, COMMANDS_CONSUMED, DECISION_SECONDS
from opd_shared.retries import Retries, reason_for
from opd_shared.topology import Topology

__all__ = ["PartitionConsumer"]

log = logging.getLogger(__name__)
OWNER = f"{socket.gethostname()}:{os.getpid()}"


class PartitionConsumer:
    def __init__(self, partition: int, topology: Topology, decider: BatchDecider,
                 relay: OutboxRelay, batch_max: int, batch_window_s: float) -> None:
        self.partition = partition
        self.topology = topology
        self.decider = decider
        self.relay = relay
        self.batch_max = batch_max
        self.batch_window_s = batch_window_s
        self.deliveries: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self.task: asyncio.Task | None = None  # set once subscribed

    async def start(self, connection: AbstractRobustConnection) -> None:
        self.connection = connection
        # Replies need no confirm: they leave only after the commit, and a lost one costs the
        # client a 202 and a repeat that the inbox answers. Waiting for confirms would hold
        # this partition's next batch back.
        self.answers = await connection.channel(publisher_confirms=False)
        await self._subscribe()
        self.task = asyncio.create_task(self._run(), name=f"partition-{self.partition}")

    async def _subscribe(self) -> None:
        """Join the partition's consumers; the broker makes one of them active at a time."""
        self.channel = await self.connection.channel()
        await self.channel.set_qos(prefetch_count=self.batch_max * 2)
        name = self.topology.partition_queue(self.partition)
        self.retries = Retries(self.channel, name, self.topology.dead_letter_exchange)
        self.queue = await self.channel.get_queue(name)
        self.tag = await self.queue.consume(self.deliveries.put)

    async def _let_go(self) -> None:
        """Fenced: hand our deliveries back (closing the channel requeues them) and stand by."""
        await self.channel.close()
        while not self.deliveries.empty():
            self.deliveries.get_nowait()
        await self._subscribe()

    async def stop(self) -> None:
        """Take no more; decide what was delivered already; then let go of the channel."""
        if self.task is None:
            return  # never subscribed (a standby that was stopped first)
        await self.queue.cancel(self.tag)
        await self.deliveries.put(None)
        await self.task
        await self.channel.close()
        await self.answers.close()

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [await self.deliveries.get()]
            await asyncio.sleep(self.batch_window_s)
            while len(batch) < self.batch_max and not self.deliveries.empty():
                batch.append(self.deliveries.get_nowait())
            stopping = None in batch
            messages = [m for m in batch if m is not None]
            if messages:
                try:
                    await self._handle(messages)
                except Exception:
                    # Unacked deliveries come back when the channel recovers; keep serving.
                    log.exception("partition %d: batch failed", self.partition)

    async def _handle(self, batch: list[AbstractIncomingMessage]) -> None:
        started = time.monotonic()
        decodable: list[tuple[AbstractIncomingMessage, CommandEnvelope]] = []
        for message in batch:
            try:
                decodable.append((message, CommandEnvelope.model_validate_json(message.body)))
            except ValidationError as error:
                await self.retries.dead_letter(
                    message, f"undecodable command: {reason_for(error)}")
        if self.decider.epoch is None:  # deliveries come to us: we are the active consumer
            await self.decider.claim(OWNER)
        try:
            results = await self.decider.decide([envelope for _, envelope in decodable])
        except Fenced as stale:
            log.warning("partition %d: %s; standing by", self.partition, stale)
            self.decider.epoch = None
            await self._let_go()
            return
        BATCH_SIZE.observe(len(decodable))
        DECISION_SECONDS.observe(time.monotonic() - started)
        COMMANDS_CONSUMED.labels(str(self.partition)).inc(len(decodable))
        self.relay.kick(self.partition)
        outcomes = [(message, result) for (message, _), result in zip(decodable, results,
                                                                     strict=True)]
        # Every waiting client hears first; the acks, which nobody waits for, follow.
        for message, result in outcomes:
            if isinstance(result, Reply):
                await self._reply(message, result)
        for message, result in outcomes:
            if isinstance(result, Reply):
                await message.ack()
            else:
                await self.retries.failed(message, result)

    async def _reply(self, message: AbstractIncomingMessage, reply: Reply) -> None:
        if message.reply_to:
            await self.answers.default_exchange.publish(
                aio_pika.Message(reply.model_dump_json().encode(),
                                 correlation_id=message.correlation_id,
                                 content_type="application/json"),
                routing_key=message.reply_to,
            )
