"""What analytics owns and starts: the API-key guard, its database (migrated) and the event
consumer, as one Runtime the routes read (the skeleton: opd_shared.app)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics.consumer import build_consumer
from analytics.database import MIGRATIONS_DIR
from analytics.settings import AnalyticsSettings
from opd_shared.access import Guard, open_guard
from opd_shared.database import own_database
from opd_shared.event_batches import EventBatchConsumer
from opd_shared.readmodel.planning import applying_sessions

__all__ = ["Clock", "Runtime", "start", "utc_now"]

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Runtime:
    settings: AnalyticsSettings
    guard: Guard
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    consumer: EventBatchConsumer
    clock: Clock = utc_now

    def broker_connected(self) -> bool:
        return self.consumer.connected()

    def today(self) -> dt.date:
        """Today in the hospital's zone, not the server's: a slot's date is a local date."""
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()


@asynccontextmanager
async def start(settings: AnalyticsSettings, clock: Clock = utc_now) -> AsyncIterator[Runtime]:
    """Open the guard, migrate, declare the queue and consume; undo it all, in reverse
    order, on exit."""
    async with AsyncExitStack() as stack:
        guard = await open_guard(settings)
        stack.push_async_callback(guard.close)
        engine, sessions = await own_database(stack, settings, MIGRATIONS_DIR)
        # Its batches' statements read every table through an index: planned once.
        consumer = build_consumer(settings, applying_sessions(stack, settings))
        await consumer.start()
        stack.push_async_callback(consumer.stop)  # runs first: delivered events finish
        log.info("analytics started: consuming %s (batches of up to %d) into database %s",
                 consumer.queue_name, settings.batch_max, make_url(settings.database_url).database)
        yield Runtime(settings, guard, engine, sessions, consumer, clock)
    log.info("analytics stopped")
