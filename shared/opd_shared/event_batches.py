"""A read model's event consumer: the shared batch consumer (`opd_shared.messaging`) on the
read model's own durable queue, many events per transaction, acked only after it commits.

A batch is what arrives within the window of its first event, up to `batch_max`: a few
milliseconds more before an event shows is nothing to a waiting hall, and a transaction
costs about the same for one event as for fifty, so busy queues take far less CPU. A body
that is not an event is dead-lettered at once; an outage is waited out, unacknowledged; an
event that fails is tried again alone, at the back of the queue, and dead-lettered with the
reason after its last try (`opd_shared.messaging.batch_consumer` tells how). Order does not
matter here: each row keeps the `seq` that last wrote it, and a redelivered event is known
by its id and acked without being applied twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from opd_contracts import EventEnvelope
from opd_shared.broker_nodes import connect_robust
from opd_shared.messaging import ACK, BatchConsumer, Batching, Delivery, Outcome
from opd_shared.metrics import EVENTS_APPLIED
from opd_shared.settings import ReadModelSettings
from opd_shared.topology import Topology

__all__ = ["ApplyBatch", "EventBatchConsumer"]

# Applies events in one transaction; says, per event, whether it was new (False: a repeat).
ApplyBatch = Callable[[Sequence[EventEnvelope]], Awaitable[list[bool]]]


class EventBatchConsumer(BatchConsumer[EventEnvelope]):
    undecodable = "not an event"

    def __init__(self, *, consumer: str, amqp_url: str, topology: Topology,
                 apply: ApplyBatch, batch_max: int, window_s: float, max_pause: float) -> None:
        super().__init__(topology.consumer_queue(consumer), topology.dead_letter_exchange,
                         Batching(batch_max, window_s, max_pause))
        self.consumer, self.amqp_url, self.topology = consumer, amqp_url, topology
        self.apply = apply
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

    def decode(self, message: AbstractIncomingMessage) -> EventEnvelope:
        return EventEnvelope.model_validate_json(message.body)

    def trace_items(self, item: EventEnvelope) -> Iterable[tuple[str, str]]:
        return ((str(item.event_id), f"apply {item.type.value}"),)

    async def handle(self, deliveries: Sequence[Delivery[EventEnvelope]]) -> list[Outcome]:
        applied = await self.apply([delivery.item for delivery in deliveries])
        EVENTS_APPLIED.labels(self.consumer).inc(sum(applied))
        return [ACK] * len(deliveries)
