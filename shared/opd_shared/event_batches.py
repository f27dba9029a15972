"""A read model's event consumer: the shared batch consumer (`opd_shared.messaging`) on the
read model's own durable queue, many events per transaction, acked only after it commits.

A batch is what arrives within the window of its first event (100 ms), up to `batch_max`:
a tenth of a second more before an event shows is nothing to a waiting hall, and a
transaction costs about the same for one event as for fifty, so busy queues take far less
CPU (`opd_shared.messaging.gathering` has the figures). A body
that is not an event is dead-lettered at once; an outage is waited out, unacknowledged; an
event that fails is tried again alone, at the back of the queue, and dead-lettered with the
reason after its last try (`opd_shared.messaging.batch_consumer` tells how). Order does not
matter here: each row keeps the `seq` that last wrote it, and a redelivered event is known
by its id and acked without being applied twice.

A message may carry many events (message contract version 2, `opd_contracts.batches`) or
one (version 1, still read during a rolling upgrade). Events from every message of a batch
go into one transaction and the messages are acked after it. When that fails, the consumer
hands the messages over one at a time; a message of several events that still fails has
each event applied in a transaction of its own, and folds their outcomes (`of_items`): the
good neighbours of a poison event are applied, and only the message's retry (or, for an
event that is not one, its parking) remains; its applied events then come back as repeats.

A transaction takes at most `events_per_transaction` events (1,000 by default); a batch
with more is applied in several, one after another, and its messages are acked after the
last. A replay hands a consumer full messages of up to 100 events, 200 messages at a time:
one transaction of 20,000 events would hold its locks and its memory for seconds. A
transaction that fails after others of its batch committed changes nothing said above:
their events come back as repeats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from opd_contracts import EventBatch, EventEnvelope
from opd_shared.broker_nodes import connect_robust
from opd_shared.database import is_transient
from opd_shared.messaging import (
    ACK,
    BatchConsumer,
    Batching,
    DeadLetter,
    Delivery,
    Items,
    Outcome,
    Retry,
    Unreadable,
    body_of,
    items_of,
    of_items,
)
from opd_shared.metrics import EVENTS_APPLIED
from opd_shared.settings import ReadModelSettings
from opd_shared.topology import Topology

__all__ = ["ApplyBatch", "EventBatchConsumer"]

# Applies events in one transaction; says, per event, whether it was new (False: a repeat).
ApplyBatch = Callable[[Sequence[EventEnvelope]], Awaitable[list[bool]]]
EVENTS_PER_TRANSACTION = 1000


Events = Items[EventEnvelope]


class EventBatchConsumer(BatchConsumer[Events]):
    undecodable = "not an event"

    def __init__(self, *, consumer: str, amqp_url: str, topology: Topology,
                 apply: ApplyBatch, batch_max: int, window_s: float, max_pause: float,
                 events_per_transaction: int = EVENTS_PER_TRANSACTION) -> None:
        super().__init__(topology.consumer_queue(consumer), topology.dead_letter_exchange,
                         Batching(batch_max, window_s, max_pause))
        self.consumer, self.amqp_url, self.topology = consumer, amqp_url, topology
        self.apply, self.events_per_transaction = apply, events_per_transaction
        self.connection: AbstractRobustConnection | None = None

    @classmethod
    def for_read_model(cls, consumer: str, settings: ReadModelSettings,
                       apply: ApplyBatch) -> EventBatchConsumer:
        batching = Batching.of(settings)
        return cls(consumer=consumer, amqp_url=settings.amqp_url, topology=settings.topology,
                   apply=apply, batch_max=batching.batch_max, window_s=batching.window_s,
                   max_pause=batching.max_pause)

    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def start(self) -> None:
        """Declare the queue (idempotent, exact arguments) and start consuming it."""
        self.connection = await connect_robust(self.amqp_url)
        await self.consume(self.connection)

    async def stop(self) -> None:
        """Take no more; apply what was delivered already; then close the connection."""
        await super().stop()
        if self.connection is not None:
            await self.connection.close()

    async def declare(self, channel: AbstractChannel) -> None:
        await self.topology.declare_consumer(channel, self.consumer)

    def decode(self, message: AbstractIncomingMessage) -> Events:
        """A version-2 batch of events, or a version-1 message's one event; a deflated body
        inflated first (the relay's, `opd_shared.messaging.encoding`)."""
        return items_of(body_of(message), EventEnvelope, EventBatch, "events")

    def trace_items(self, item: Events) -> Iterable[tuple[str, str]]:
        return ((str(event.event_id), f"apply {event.type.value}") for event in item.readable())

    async def handle(self, deliveries: Sequence[Delivery[Events]]) -> list[Outcome]:
        events = [event for delivery in deliveries for event in delivery.item.readable()]
        try:
            await self._apply(events)
        except Exception as error:
            if is_transient(error) or len(deliveries) > 1 or len(events) < 2:
                raise  # waited out, or handed over one message at a time, or its own Retry
            return [await self._one_by_one(deliveries[0])]
        return [self._outcome(delivery, [ACK] * len(delivery.item.readable()))
                for delivery in deliveries]

    async def _apply(self, events: list[EventEnvelope]) -> None:
        """In transactions of at most `events_per_transaction` events (see the module's doc)."""
        for start in range(0, len(events), self.events_per_transaction):
            chunk = events[start:start + self.events_per_transaction]
            EVENTS_APPLIED.labels(self.consumer).inc(sum(await self.apply(chunk)))

    async def _one_by_one(self, delivery: Delivery[Events]) -> Outcome:
        """Each event of one message in a transaction of its own (see the module's doc)."""
        outcomes: list[Outcome] = []
        for event in delivery.item.readable():
            try:
                await self._apply([event])
            except Exception as error:
                if is_transient(error):
                    raise
                outcomes.append(Retry(error))
            else:
                outcomes.append(ACK)
        return self._outcome(delivery, outcomes)

    def _outcome(self, delivery: Delivery[Events], readable: list[Outcome]) -> Outcome:
        """The delivery's outcome from its readable events' and its unreadable items'."""
        answers = iter(readable)
        return of_items([DeadLetter(f"{self.undecodable}: {item.reason}")
                         if isinstance(item, Unreadable) else next(answers)
                         for item in delivery.item.items])
