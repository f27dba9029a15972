"""Commands out, replies in: many requests in flight at once, none waiting on another.

Each gateway process has its own exclusive reply queue; a reply finds its waiting request
by its command id (the `uuid.UUID` itself: the reply's is parsed as one anyway, and keying
by its text made four `str()` of it a command). Publishing is confirmed, persistent and
mandatory: a 2xx or 202 is only given for a command the broker has safely queued. Commands
leave in version-2 batches, one `Outlet` per command queue; replies come back as version-2
batches (or, from an allocator not yet upgraded, one to a message, matched by correlation
id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from functools import partial

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import AMQPError, DeliveryError, PublishError

from booking_gateway.admission import Admission
from booking_gateway.outlet import Outlet
from opd_contracts import CommandBatch, CommandEnvelope, Reply, ReplyBatch
from opd_shared.broker_nodes import connect_robust, node_urls
from opd_shared.messaging.properties import command_properties, publish_directly
from opd_shared.metrics import MESSAGE_ITEMS, REPLY_TIMEOUTS
from opd_shared.topology import Topology
from opd_shared.tracing import current_traceparent, message_headers

__all__ = ["BrokerUnavailable", "CommandBus"]

log = logging.getLogger(__name__)
COMMAND_ITEMS = MESSAGE_ITEMS.labels("command")  # looked up once, not once a message

# With several broker nodes, a publish that failed because this gateway's node went away is
# tried again on the node it reconnects to (about a second later), so a node's loss is
# not a 503 while the cluster still has a quorum. The command id makes a repeat harmless if
# an earlier publish did reach a queue (the allocator's inbox decides it once).
# A publish the broker nacked is tried again on a fresh channel: on RabbitMQ 3.10, a
# gateway channel open across a node's crash was seen nacking every command for minutes
# (until the node was back) while the quorum queues had long elected new leaders, and a
# channel opened after the crash took them (tests/faults/test_cluster_nodes.py). While a
# node shuts down, its queues nack until their new leaders are elected, which takes a few
# hundred milliseconds: one immediate retry was nacked too, and a booking got 503 with a
# quorum up. So tries go on, a moment apart, until FAILOVER_WAIT_SECONDS have passed.
FAILOVER_WAIT_SECONDS = 5.0
RETRY_PAUSE_SECONDS = 0.25  # between tries after a nack: a leader election's moment


class BrokerUnavailable(Exception):
    """The command could not be queued safely; nothing was accepted."""


class CommandBus:
    def __init__(self, amqp_url: str, topology: Topology, admission: Admission) -> None:
        self.amqp_url = amqp_url
        self.topology = topology
        self.admission = admission
        self.waiting: dict[uuid.UUID, list[asyncio.Future[Reply | None]]] = {}  # by command id
        # The trace of each command waiting to be published, while tracing is on.
        self.traceparents: dict[str, str] = {}
        self._channel_generation = 0  # how many times the channel was made fresh
        self._refreshing = asyncio.Lock()
        self.reply_queue = f"{topology.prefix}.gateway.replies.{uuid.uuid4().hex[:12]}"
        # One outlet per command queue, by its number; it publishes with the routing key of
        # the queue's own partition.
        self.outlets = [Outlet(partial(self._publish, topology.routing_key(queue)))
                        for queue in range(topology.command_queues)]

    async def connect(self) -> None:
        """Connected and declared; command queues of another `OPD_COMMAND_QUEUES` refuse
        the start (`Topology.check_command_queues`): this gateway would route commands
        where the old layout's queues still take them and no allocator of its own does."""
        await self.topology.check_command_queues(self.amqp_url)
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
        """The allocator's reply, or None when it did not come within `wait_s` seconds;
        raises Overloaded, before publishing anything, when admission refuses it."""
        with self.admission.admitted():
            started = asyncio.get_running_loop().time()
            reply = await self._send(envelope, wait_s)
            waited = asyncio.get_running_loop().time() - started
        self.admission.decided(waited if reply is not None else None)
        return reply

    async def _send(self, envelope: CommandEnvelope, wait_s: float) -> Reply | None:
        """Each request waits on a future of its own, woken by its reply or by a timer
        (None): `asyncio.wait_for(asyncio.shield(...))` made three futures and a timer for
        the same, 9 us of a booking's CPU against 3. Of its own so that a request that
        goes away (cancelled) cancels only its own wait, and a repeat of a command that
        still waits (the same Idempotency-Key, at once) is answered by the same reply."""
        key = envelope.command_id
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[Reply | None] = loop.create_future()
        waiters = self.waiting.setdefault(key, [])  # in the map until its last one leaves
        waiters.append(mine)
        try:
            await self._queue(envelope)
            expiry = loop.call_later(wait_s, _expire, mine)
            try:
                reply = await mine
            finally:
                expiry.cancel()
        finally:
            waiters.remove(mine)
            if not waiters:
                del self.waiting[key]
        if reply is None:
            REPLY_TIMEOUTS.inc()
        return reply

    async def _queue(self, envelope: CommandEnvelope) -> None:
        """Returns once the broker confirmed the command (in whichever batch it went)."""
        outlet = self.outlets[
            self.topology.queue_of(envelope.command.partition(self.topology.partitions))]
        traceparent = current_traceparent()  # this request's trace, when tracing is on
        if traceparent is None:
            await outlet.send(envelope)
            return
        key = str(envelope.command_id)
        self.traceparents[key] = traceparent
        try:
            await outlet.send(envelope)
        finally:
            self.traceparents.pop(key, None)

    async def _publish(self, routing_key: str, envelopes: list[CommandEnvelope]) -> None:
        COMMAND_ITEMS.observe(len(envelopes))
        deadline = asyncio.get_running_loop().time() + FAILOVER_WAIT_SECONDS
        while True:
            generation = self._channel_generation
            try:
                await self._publish_once(routing_key, envelopes)
                return
            except BrokerUnavailable as error:
                if len(node_urls(self.amqp_url)) == 1:
                    raise
                if isinstance(error.__cause__, DeliveryError):
                    await self._fresh_channel(generation)
                    await asyncio.sleep(RETRY_PAUSE_SECONDS)
                if not await self._reconnected(deadline):
                    raise

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

    async def _reconnected(self, deadline: float) -> bool:
        """Whether the connection is up (again, maybe on another node) before `deadline`."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0.05)  # the lost connection is noticed a moment after the error
        while loop.time() < deadline:
            if self.connection.connected.is_set() and not self.channel.is_closed:
                return True
            await asyncio.sleep(0.05)
        return False

    async def _publish_once(self, routing_key: str, envelopes: list[CommandEnvelope]) -> None:
        """One version-2 message; its message id is its first command's. Its trace headers
        name every command's trace, or none while no request has one (tracing off)."""
        if self.connection.is_closed:
            raise BrokerUnavailable("the message broker is not connected")
        body = CommandBatch(commands=envelopes).model_dump_json().encode()
        headers = None
        if self.traceparents:
            headers = message_headers({key: self.traceparents.get(key) for key in
                                       (str(envelope.command_id) for envelope in envelopes)})
        properties = command_properties(str(envelopes[0].command_id), self.reply_queue,
                                        headers)
        try:
            # Each outlet keeps at most two messages in flight: nothing to wait for.
            await publish_directly(self.channel, body, self.exchange.name, routing_key,
                                   properties, confirm_timeout=5, wait_for_writer=False)
        except (AMQPError, DeliveryError, PublishError, ConnectionError, TimeoutError,
                RuntimeError) as error:
            log.warning("%d commands (%s first) not queued: %r", len(envelopes),
                        envelopes[0].command_id, error)
            raise BrokerUnavailable("the message broker did not accept the command") from error

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        for command_id, reply in _replies(message):
            for waiter in self.waiting.get(command_id, ()):
                if not waiter.done():
                    waiter.set_result(reply)


def _expire(waiter: asyncio.Future[Reply | None]) -> None:
    """A request's wait is over without a reply."""
    if not waiter.done():
        waiter.set_result(None)


def _replies(message: AbstractIncomingMessage) -> list[tuple[uuid.UUID, Reply]]:
    """A reply message's replies by the command id each answers: a version-2 batch, or a
    version-1 single matched by its correlation id (one that is no command id matches
    nothing)."""
    if message.correlation_id is None:
        return [(reply.command_id, reply)
                for reply in ReplyBatch.model_validate_json(message.body).replies]
    reply = Reply.model_validate_json(message.body)
    try:
        return [(uuid.UUID(message.correlation_id), reply)]
    except ValueError:
        return []
