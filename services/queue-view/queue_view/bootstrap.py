"""What queue-view owns and starts: the API-key guard, its database (migrated), the
display feed and the event consumer, as one Runtime (the skeleton: opd_shared.app)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from opd_shared.access import Guard, open_guard
from opd_shared.database import own_database, planned_once
from opd_shared.event_batches import EventBatchConsumer
from queue_view.consumer import build_consumer, make_applier
from queue_view.display.feed import ChangeFeed
from queue_view.settings import QueueViewSettings

__all__ = ["MIGRATIONS_DIR", "Runtime", "start"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    settings: QueueViewSettings
    guard: Guard
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    consumer: EventBatchConsumer
    feed: ChangeFeed

    def broker_connected(self) -> bool:
        return self.consumer.connected()


def _redacted(amqp_url: str, database_url: str) -> tuple[str, str]:
    nodes = []
    for node in map(urlsplit, amqp_url.split(",")):
        if node.password:
            node = node._replace(netloc=node.netloc.replace(f":{node.password}@", ":***@", 1))
        nodes.append(urlunsplit(node))
    return ",".join(nodes), make_url(database_url).render_as_string(hide_password=True)


async def _start_feed(stack: AsyncExitStack, sessions: async_sessionmaker[AsyncSession],
                      interval: float) -> ChangeFeed:
    feed = ChangeFeed(sessions, interval)
    await feed.poll_once()  # streams opened right after start see the counts already
    task = asyncio.create_task(feed.run(), name="display-feed")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)
    return feed


@asynccontextmanager
async def start(settings: QueueViewSettings) -> AsyncIterator[Runtime]:
    """Open the guard, migrate, declare the queue, connect and consume; undo it all, in
    reverse order, on exit."""
    async with AsyncExitStack() as stack:
        guard = await open_guard(settings)
        stack.push_async_callback(guard.close)
        engine, sessions = await own_database(stack, settings, MIGRATIONS_DIR)
        feed = await _start_feed(stack, sessions, settings.stream_poll_seconds)
        # Its one statement reads no table but through ON CONFLICT keys: planned once.
        consumer = build_consumer(settings, make_applier(planned_once(stack, settings)))
        await consumer.start()
        stack.push_async_callback(consumer.stop)  # runs first: delivered events finish
        amqp, database = _redacted(settings.amqp_url, settings.database_url)
        log.info("queue-view consuming %s from %s into %s (batches of up to %d)",
                 consumer.queue_name, amqp, database, settings.batch_max)
        yield Runtime(settings, guard, engine, sessions, consumer, feed)
