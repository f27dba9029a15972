"""Queue-view's event consumer: its own durable quorum queue, many events per transaction,
each acked only after its transaction committed (`opd_shared.event_batches` tells how an
outage, a bad body and a failing event are handled)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_contracts import EventEnvelope
from opd_shared.event_batches import ApplyBatch, EventBatchConsumer
from opd_shared.readmodel.driver import driver_connection
from queue_view.projection import apply_events
from queue_view.settings import QueueViewSettings

__all__ = ["CONSUMER", "build_consumer", "make_applier"]

CONSUMER = "queue_view"


def make_applier(sessions: async_sessionmaker[AsyncSession]) -> ApplyBatch:
    """Each batch as `apply_events`' one statement, which PostgreSQL runs as a transaction
    of its own: whole or not at all, committed before the batch is acked. Without BEGIN
    and COMMIT a batch is one round trip, not three (in a profile of `bench/apply_cost.py`,
    starting and committing the transaction were ~10% of the apply's CPU). On the asyncpg
    connection itself (`opd_shared.readmodel.driver`): SQLAlchemy's session around the one
    statement cost more CPU than the statement's own client work."""

    async def apply(events: Sequence[EventEnvelope]) -> list[bool]:
        async with driver_connection(sessions) as connection:
            return await apply_events(connection, events)

    return apply


def build_consumer(settings: QueueViewSettings, apply: ApplyBatch) -> EventBatchConsumer:
    return EventBatchConsumer.for_read_model(CONSUMER, settings, apply)
