"""A read model's event consumer: many events per transaction, acked only after it commits.

A batch is what arrives within `window_s` of its first event, up to `batch_max`: a few
milliseconds more before an event shows is nothing to a waiting hall, and a transaction
costs about the same for one event as for fifty, so busy queues take far less CPU.
FastStream's Rabbit subscriber hands over one message at a time, so this uses aio-pika
directly, as the allocator does.

- A body that is not an event is dead-lettered at once, with the reason: retrying cannot
  fix it.
- While the database is unavailable the batch waits, unacknowledged, and is tried again
  after a growing pause (`opd_shared.patience`), so an outage spends no tries.
- A batch that fails for any other reason is tried again one event at a time, so one bad
  event cannot hold the others back: the good ones are acked, the bad one is queued again
  at the back by `opd_shared.retries`, which dead-letters it with the reason after its last
  try. Order does not matter here: each row keeps the `seq` that last wrote it.
- A crash at any point leaves every uncommitted event in the queue; redelivered events
  are recognised by their id and acked without being applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import ChannelInvalidStateError
from pydantic import ValidationError

from opd_contracts import EventEnvelope
from opd_shared.metrics import EVENTS_APPLIED
from opd_shared.patience import apply_patiently
from opd_shared.retries import Retries, reason_for
from opd_shared.settings import ReadModelSettings
from opd_shared.topology import Topology

__all__ = ["ApplyBatch", "EventBatchConsumer"]

log = logging.getLogger(__name__)
# Applies events in one transaction; says, per event, whether it was new (False: a repeat).
ApplyBatch = Callable[[Sequence[EventEnvelope]], Awaitable[list[bool]]]
STOP_GRACE_SECONDS = 10  # then the batch in hand is dropped unacked: the broker keeps it


class EventBatchConsumer:
    def __init__(self, *, consumer: str, amqp_url: str, topology: Topology,
                 apply: ApplyBatch, batch_max: int, window_s: float, max_pause: float) -> None:
        self.consumer = consumer
        self.amqp_url = amqp_url
        self.topology = topology
        self.apply = apply
        self.batch_max = batch_max
        self.window_s = window_s
        self.max_pause = max_pause
        self.deliveries: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self.connection: AbstractRobustConnection | None = None
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def for_read_model(cls, consumer: str, settings: ReadModelSettings,
                       apply: ApplyBatch) -> EventBatchConsumer:
        return cls(consumer=consumer, amqp_url=settings.amqp_url, topology=settings.topology,
                   apply=apply, batch_max=settings.batch_max,
                   window_s=settings.batch_window_ms / 1000,
                   max_pause=settings.db_retry_max_seconds)

    @property
    def queue_name(self) -> str:
        return self.topology.consumer_queue(self.consumer)

    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def start(self) -> None:
        """Declare the queue (idempotent, exact arguments) and start consuming it."""
        self.connection = await aio_pika.connect_robust(self.amqp_url)
        self.channel = await self.connection.channel()
        # Two batches' worth: the next one gathers while this one commits.
        await self.channel.set_qos(prefetch_count=self.batch_max * 2)
        await self.topology.declare_consumer(self.channel, self.consumer)
        self.retries = Retries(self.channel, self.queue_name, self.topology.dead_letter_exchange)
        self.queue = await self.channel.get_queue(self.queue_name)
        self.tag = await self.queue.consume(self.deliveries.put)
        self.task = asyncio.create_task(self._run(), name=f"{self.consumer}-events")

    async def stop(self) -> None:
        """Take no more; apply what was delivered already; then close the connection."""
        if self.task is not None:
            with contextlib.suppress(Exception):  # a broker already gone delivers no more
                await self.queue.cancel(self.tag)
            await self.deliveries.put(None)
            try:
                await asyncio.wait_for(self.task, STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("%s: stopped with a batch in hand; the broker redelivers it",
                            self.consumer)
        if self.connection is not None:
            await self.connection.close()

    async def _run(self) -> None:
        while True:
            batch = await self._next_batch()
            messages = [message for message in batch if message is not None]
            try:
                await self._handle(messages)
            except Exception:
                # Unacked deliveries come back when the channel recovers; keep serving.
                log.exception("%s: batch of %d failed", self.consumer, len(messages))
            if None in batch:
                return

    async def _next_batch(self) -> list[AbstractIncomingMessage | None]:
        """The first delivery, and what follows within the window (None: stop now)."""
        batch = [await self.deliveries.get()]
        deadline = asyncio.get_running_loop().time() + self.window_s
        while len(batch) < self.batch_max and batch[-1] is not None:
            if not self.deliveries.empty():
                batch.append(self.deliveries.get_nowait())
                continue
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self.deliveries.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _handle(self, messages: list[AbstractIncomingMessage]) -> None:
        parsed = [(message, event) for message in messages
                  if (event := await self._parse_or_reject(message)) is not None]
        if not parsed:
            return
        events = [event for _, event in parsed]
        what = f"a batch of {len(events)} events ({events[0].event_id} first)"
        try:
            applied = await apply_patiently(lambda: self.apply(events), what, self.max_pause)
        except Exception as error:
            if len(parsed) == 1:
                await self._give_back(*parsed[0], error)
                return
            log.warning("%s: %s failed; applying them one at a time", self.consumer, what,
                        exc_info=True)
            for message, event in parsed:
                await self._handle_one(message, event)
            return
        EVENTS_APPLIED.labels(self.consumer).inc(sum(applied))
        await _ack_all([message for message, _ in parsed])

    async def _handle_one(self, message: AbstractIncomingMessage, event: EventEnvelope) -> None:
        what = f"event {event.event_id} (doctor {event.doctor_id} seq {event.seq})"
        try:
            [applied] = await apply_patiently(lambda: self.apply([event]), what, self.max_pause)
        except Exception as error:
            await self._give_back(message, event, error)
            return
        EVENTS_APPLIED.labels(self.consumer).inc(int(applied))
        await message.ack()

    async def _give_back(self, message: AbstractIncomingMessage, event: EventEnvelope,
                         error: Exception) -> None:
        """Queued again, or dead-lettered after its last try."""
        log.warning("%s: event %s (%s, doctor %s seq %s) failed: %s", self.consumer,
                    event.event_id, event.type, event.doctor_id, event.seq, reason_for(error),
                    exc_info=error)
        await self.retries.failed(message, error)

    async def _parse_or_reject(self, message: AbstractIncomingMessage) -> EventEnvelope | None:
        try:
            return EventEnvelope.model_validate_json(message.body)
        except ValidationError as error:
            reason = f"not an event: {reason_for(error)}"
            log.warning("rejected message %s (routing key %r, queue %s): %s",
                        message.message_id, message.routing_key, self.queue_name, reason)
            await self.retries.dead_letter(message, reason)
            return None


async def _ack_all(messages: list[AbstractIncomingMessage]) -> None:
    """Each on its own: a multiple-ack would also settle any delivery an earlier failed
    batch left unacked. One from before a reconnect cannot be acked (its channel is gone):
    it comes back, and is a repeat."""
    for message in messages:
        try:
            await message.ack()
        except ChannelInvalidStateError:
            log.info("could not ack %s: its channel is gone; the broker redelivers it",
                     message.message_id)
