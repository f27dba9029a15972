"""The notifier's event consumer: the shared read-model consumer (`opd_shared.event_batches`)
on its own durable queue, many events per transaction, acked after the commit, so it
follows however the shared kit delivers events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.projection import Notifying, apply_events
from notifier.settings import NotifierSettings
from opd_contracts import EventEnvelope
from opd_shared.event_batches import ApplyBatch, EventBatchConsumer
from opd_shared.readmodel.driver import batch_transaction

__all__ = ["CONSUMER", "build_consumer", "make_applier"]

CONSUMER = "notifier"


def make_applier(sessions: async_sessionmaker[AsyncSession], notifying: Notifying,
                 clock: Callable[[], dt.datetime]) -> ApplyBatch:
    async def apply(events: Sequence[EventEnvelope]) -> list[bool]:
        # commits before the batch is acked
        async with batch_transaction(sessions) as connection:
            return await apply_events(connection, events, notifying, clock())

    return apply


def build_consumer(settings: NotifierSettings, apply: ApplyBatch) -> EventBatchConsumer:
    return EventBatchConsumer.for_read_model(CONSUMER, settings, apply)
