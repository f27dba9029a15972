"""What the running service holds: built in the lifespan, read by the routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics.settings import AnalyticsSettings
from opd_shared.event_batches import EventBatchConsumer

__all__ = ["Clock", "Runtime", "utc_now"]

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    settings: AnalyticsSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    consumer: EventBatchConsumer
    clock: Clock = utc_now

    def today(self) -> dt.date:
        """Today in the hospital's zone, not the server's: a slot's date is a local date."""
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()
