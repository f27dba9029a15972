"""Analytics' event consumer: its own durable queue, many events per transaction, each
batch acked only after it committed (`opd_shared.event_batches` tells how an outage, a bad
body and a failing event are handled)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.projections import apply_events
from analytics.settings import AnalyticsSettings
from opd_contracts import EventEnvelope
from opd_shared.event_batches import EventBatchConsumer

__all__ = ["CONSUMER", "build_consumer"]

CONSUMER = "analytics"


def build_consumer(
    settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> EventBatchConsumer:
    zone = ZoneInfo(settings.timezone)  # arrivals count in the hospital's hours

    async def apply(events: Sequence[EventEnvelope]) -> list[bool]:
        return await apply_events(sessions, events, zone)

    return EventBatchConsumer.for_read_model(CONSUMER, settings, apply)
