"""The one batch consumer of every queue OPD consumes (the allocator's partitions, each
read model's events). It gathers a batch (`gathering`), decodes it, hands it to the
subclass's `handle`, and applies the outcome `handle` gives each delivery (`outcomes`).
FastStream's Rabbit subscriber hands over one message at a time, so this uses aio-pika.

- A body that does not decode is dead-lettered at once, with the reason: retrying cannot
  fix it.
- While the database is unavailable, deadlocked or asks for a retry, the batch waits,
  unacknowledged, and is handed over again after a growing pause (`opd_shared.patience`):
  an outage spends no attempts.
- A batch whose `handle` raises anything else is handed over again one delivery at a time,
  so one poison delivery cannot fail its neighbours; a lone one that raises is `Retry`.
- `handle` answers after its transaction committed, so every ack follows the commit. A
  batch's acks leave together once all its outcomes are applied, as one frame where no
  unsettled delivery lies below them (`acks`). A crash or a lost channel leaves every
  unacked delivery in the queue; the broker hands it out again and the handler knows it as
  a repeat (the inbox, an event's id).
- `HandBack` from `handle` closes the channel, which gives every unacked delivery back to
  the broker, and subscribes again: as a standby, on a single-active-consumer queue.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import ClassVar, Generic, TypeVar

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from aiormq.exceptions import ChannelInvalidStateError
from pydantic import ValidationError

from opd_shared.database import is_transient
from opd_shared.messaging.encoding import UnreadableBody
from opd_shared.messaging.gathering import Batching, next_batch
from opd_shared.messaging.outcomes import Delivery, HandBack, Outcome, Retry, answering
from opd_shared.messaging.settle import park, settle
from opd_shared.messaging.subscription import Subscription
from opd_shared.patience import apply_patiently
from opd_shared.retries import reason_for
from opd_shared.tracing import handling

__all__ = ["BatchConsumer"]

log = logging.getLogger(__name__)
T = TypeVar("T")
STOP_GRACE_SECONDS = 10  # then the batch in hand is dropped unacked: the broker keeps it


class BatchConsumer(ABC, Generic[T]):
    undecodable: ClassVar[str] = "undecodable"  # how an undecodable body's reason starts

    def __init__(self, queue: str, dead_letter_exchange: str, batching: Batching) -> None:
        self.queue_name, self.batching = queue, batching
        self.subscription = Subscription(queue, dead_letter_exchange,
                                         prefetch=batching.batch_max * 2,  # the next gathers
                                         declare=self.declare)  # while this one commits
        self.task: asyncio.Task[None] | None = None  # set once subscribed

    @abstractmethod
    def decode(self, message: AbstractIncomingMessage) -> T:
        """The message's item; raises pydantic's ValidationError, or `UnreadableBody` for a
        body that does not inflate, when it is not one."""

    @abstractmethod
    async def handle(self, deliveries: Sequence[Delivery[T]]) -> Sequence[Outcome]:
        """Commit what the deliveries ask for, then answer one outcome per delivery, in
        order; raise HandBack to give them all back."""

    def trace_items(self, item: T) -> Iterable[tuple[str, str]]:
        """Each traced item a delivery's item carries: its id and its span's name
        (`opd_shared.tracing.handling`); none by default."""
        return ()

    async def declare(self, channel: AbstractChannel) -> None:
        """Declare the queue on the consumer's channel, where the subclass owns it."""

    async def consume(self, connection: AbstractRobustConnection) -> None:
        await self.subscription.open(connection)
        self.task = asyncio.create_task(self._run(), name=f"{self.queue_name}-batches")

    async def stop(self) -> None:
        """Take no more; settle what was delivered already; then close the channel."""
        if self.task is None:
            return  # never subscribed (a standby stopped first)
        await self.subscription.take_no_more()
        try:
            await asyncio.wait_for(self.task, STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("%s: stopped with a batch in hand; the broker redelivers it",
                        self.queue_name)
        await self.subscription.close()

    async def _run(self) -> None:
        """Gather a batch whenever one of `in_flight` may be handled, and hand it over. With
        one, a batch is gathered only once the last is settled, so what arrived meanwhile
        makes it bigger; with more, a batch does not wait for another's transaction."""
        free = asyncio.Semaphore(self.batching.in_flight)
        handling: set[asyncio.Task[None]] = set()
        try:
            while True:
                await free.acquire()
                batch = await next_batch(self.subscription.deliveries,
                                         self.batching.batch_max, self.batching.window_s)
                messages = [message for message in batch if message is not None]
                if messages:
                    task = asyncio.create_task(self._handle_freeing(messages, free))
                    handling.add(task)
                    task.add_done_callback(handling.discard)
                else:
                    free.release()
                if batch[-1] is None:
                    return
        finally:
            await asyncio.gather(*handling)  # cancelled with this task, they are too

    async def _handle_freeing(self, messages: list[AbstractIncomingMessage],
                              free: asyncio.Semaphore) -> None:
        try:
            await self._handle(messages)
        except Exception:
            # Unacked deliveries come back when the channel recovers; keep serving.
            log.exception("%s: batch of %d failed", self.queue_name, len(messages))
            self.subscription.acks.abandoned(messages)
        finally:
            free.release()

    async def _handle(self, messages: list[AbstractIncomingMessage]) -> None:
        try:
            await self._decode_and_settle(messages)
        finally:
            await self.subscription.flush()  # every ack noted since, in as few frames as safe

    async def _decode_and_settle(self, messages: list[AbstractIncomingMessage]) -> None:
        deliveries = [Delivery(message, item) for message in messages
                      if (item := await self._decode_or_park(message)) is not None]
        if not deliveries:
            return
        try:
            await self._settle(deliveries)
        except HandBack as why:
            if _given_back_already(messages[0]):
                # Another batch handed the queue back since these came (or the channel
                # fell): renewing again would give back the new channel's batches too,
                # and with several batches in hand each generation fenced the next.
                log.info("%s: %s; given back already", self.queue_name, why)
                return
            log.warning("%s: %s; its deliveries go back to the broker", self.queue_name, why)
            await self.subscription.renew()

    async def _settle(self, deliveries: list[Delivery[T]]) -> None:
        what = f"a batch of {len(deliveries)} ({deliveries[0].message.message_id} first)"
        try:
            outcomes = await apply_patiently(lambda: self._outcomes(deliveries), what,
                                             self.batching.max_pause, is_transient)
        except HandBack:
            raise
        except Exception as error:
            if len(deliveries) > 1:
                log.warning("%s: %s failed; one at a time now", self.queue_name, what,
                            exc_info=True)
                for delivery in deliveries:
                    await self._settle([delivery])
                return
            log.warning("%s: %s failed: %s", self.queue_name, what, reason_for(error),
                        exc_info=error)
            outcomes = [Retry(error)]
        for delivery, outcome in zip(deliveries, outcomes, strict=True):
            await settle(delivery.message, outcome, self.subscription.retries,
                         self.subscription.acks)

    async def _outcomes(self, deliveries: list[Delivery[T]]) -> list[Outcome]:
        with handling(self.queue_name, deliveries, self.trace_items):
            return answering(deliveries, await self.handle(deliveries))

    async def _decode_or_park(self, message: AbstractIncomingMessage) -> T | None:
        try:
            return self.decode(message)
        except (ValidationError, UnreadableBody) as error:
            reason = f"{self.undecodable}: {reason_for(error)}"
            log.warning("rejected message %s (routing key %r, queue %s): %s",
                        message.message_id, message.routing_key, self.queue_name, reason)
            await park(message, reason, self.subscription.retries, self.subscription.acks)
            return None


def _given_back_already(message: AbstractIncomingMessage) -> bool:
    """Whether the channel `message` came on is closed: its deliveries are the broker's."""
    try:
        message.channel  # noqa: B018 (raises once the channel is closed)
    except ChannelInvalidStateError:
        return True
    return False
