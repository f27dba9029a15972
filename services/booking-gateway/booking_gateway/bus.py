"""Commands out, replies in: many requests in flight at once, none waiting on another.

Each gateway process has its own exclusive reply queue; a reply finds its waiting request
by correlation id. Publishing is confirmed, persistent and mandatory: a 2xx or 202 is only
given for a command the broker has safely queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import AMQPError, DeliveryError, PublishError

from opd_contracts import CommandEnvelope, Reply
from opd_shared.broker_nodes import connect_robust, node_urls
from opd_shared.metrics import REPLY_TIMEOUTS
from opd_shared.topology import Topology

__all__ = ["BrokerUnavailable", "CommandBus"]

log = logging.getLogger(__name__)

# With several broker nodes, a publish that failed because this gateway's node went away is
# tried once more on the node it reconnects to (about a second later), so a node's loss is
# not a 503 while the cluster still has a quorum. The command id makes the second publish
# harmless if the first did reach a queue (the allocator's inbox decides it once).
# A publish the broker nacked is tried once more on a fresh channel: on RabbitMQ 3.10, a
# gateway channel open across a node's crash was seen nacking every command for minutes
# (until the node was back) while the quorum queues had long elected new leaders, and a
# channel opened after the crash took them (tests/faults/test_cluster_nodes.py).
FAILOVER_WAIT_SECONDS = 5.0


class BrokerUnavailable(Exception):
    """The command could not be queued safely; nothing was accepted."""


class CommandBus:
    def __init__(self, amqp_url: str, topology: Topology) -> None:
        self.amqp_url = amqp_url
        self.topology = topology
        self.waiting: dict[str, asyncio.Future[Reply]] = {}
        self.reply_queue = f"{topology.prefix}.gateway.replies.{uuid.uuid4().hex[:12]}"
        self._channel_generation = 0  # how many times the channel was made fresh
        self._refreshing = asyncio.Lock()

    async def connect(self) -> None:
        self.connection: AbstractRobustConnection = await connect_robust(self.amqp_url)
        self.channel = await self.connection.channel(publisher_confirms=True,
                                                     on_return_raises=True)
        self.exchange = await self.topology.declare_commands(self.channel)
        replies = await self.channel.declare_queue(self.reply_queue, exclusive=True,
                                                   auto_delete=True)
        await replies.consume(self._on_reply, no_ack=True)

    async def close(self) -> None:
        await self.connection.close()

    async def send(self, envelope: CommandEnvelope, wait_s: float) -> Reply | None:
        """The allocator's reply, or None when it did not come within `wait_s` seconds."""
        key = str(envelope.command_id)
        future = self.waiting.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            await self._publish(envelope)
            return await asyncio.wait_for(asyncio.shield(future), wait_s)
        except TimeoutError:
            REPLY_TIMEOUTS.inc()
            return None
        finally:
            if self.waiting.get(key) is future:
                del self.waiting[key]

    async def _publish(self, envelope: CommandEnvelope) -> None:
        generation = self._channel_generation
        try:
            await self._publish_once(envelope)
        except BrokerUnavailable as error:
            if len(node_urls(self.amqp_url)) == 1:
                raise
            if isinstance(error.__cause__, DeliveryError):
                await self._fresh_channel(generation)
            if not await self._reconnected():
                raise
            await self._publish_once(envelope)

    async def _fresh_channel(self, generation: int) -> None:
        """Close and reopen the channel (its exchange, reply queue and consumer are restored
        with it), once for all the requests that saw the same channel nack."""
        async with self._refreshing:
            if generation != self._channel_generation:
                return  # another request has already made it fresh
            self._channel_generation += 1
            log.warning("the broker nacked a command: reopening the channel")
            with contextlib.suppress(AMQPError, ConnectionError, RuntimeError):
                await self.channel.close()
                await self.channel.reopen()

    async def _reconnected(self) -> bool:
        """Whether the connection is up again (on another node) within the failover wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FAILOVER_WAIT_SECONDS
        await asyncio.sleep(0.05)  # the lost connection is noticed a moment after the error
        while loop.time() < deadline:
            if self.connection.connected.is_set() and not self.channel.is_closed:
                return True
            await asyncio.sleep(0.05)
        return False

    async def _publish_once(self, envelope: CommandEnvelope) -> None:
        if self.connection.is_closed:
            raise BrokerUnavailable("the message broker is not connected")
        message = aio_pika.Message(
            envelope.model_dump_json().encode(), content_type="application/json",
            message_id=str(envelope.command_id), correlation_id=str(envelope.command_id),
            reply_to=self.reply_queue, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        partition = envelope.command.partition(self.topology.partitions)
        try:
            await self.exchange.publish(message, routing_key=self.topology.routing_key(partition),
                                        mandatory=True, timeout=5)
        except (AMQPError, DeliveryError, PublishError, ConnectionError, TimeoutError,
                RuntimeError) as error:
            log.warning("command %s not queued: %r", envelope.command_id, error)
            raise BrokerUnavailable("the message broker did not accept the command") from error

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self.waiting.get(message.correlation_id or "")
        if future is not None and not future.done():
            future.set_result(Reply.model_validate_json(message.body))
