"""What the notifier owns and starts: the API-key guard, its database (migrated), the
channels, the event consumer and the sender, as one Runtime (opd_shared.app's skeleton)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from notifier.channels import Channel, Msg91Sms, Webhook
from notifier.consumer import build_consumer, make_applier
from notifier.projection import Notifying
from notifier.sender import Sender
from notifier.settings import NotifierSettings
from opd_shared.access import Guard, open_guard
from opd_shared.database import own_database
from opd_shared.event_batches import EventBatchConsumer
from opd_shared.readmodel.planning import applying_sessions

__all__ = ["MIGRATIONS_DIR", "Runtime", "start", "utc_now"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Runtime:
    settings: NotifierSettings
    guard: Guard
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    consumer: EventBatchConsumer
    sender: Sender

    def broker_connected(self) -> bool:
        return self.consumer.connected()


def channels_of(settings: NotifierSettings, client: httpx.AsyncClient) -> dict[str, Channel]:
    found: dict[str, Channel] = {}
    if settings.webhooks:
        found["webhook"] = Webhook(client, settings.webhooks,
                                   settings.webhook_secret.get_secret_value().encode())
    if settings.sms_provider == "msg91":
        found["sms"] = Msg91Sms(client, settings.msg91_url,
                                settings.msg91_authkey.get_secret_value(),
                                settings.msg91_template_id)
    return found


async def _run_in_background(stack: AsyncExitStack, sender: Sender) -> None:
    task = asyncio.create_task(sender.run(), name="notifier-sender")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)


@asynccontextmanager
async def start(settings: NotifierSettings,
                clock: Callable[[], dt.datetime] = utc_now) -> AsyncIterator[Runtime]:
    async with AsyncExitStack() as stack:
        guard = await open_guard(settings)
        stack.push_async_callback(guard.close)
        engine, sessions = await own_database(stack, settings, MIGRATIONS_DIR)
        client = await stack.enter_async_context(
            httpx.AsyncClient(timeout=settings.webhook_timeout_seconds))
        channels = channels_of(settings, client)
        notifying = Notifying(settings, frozenset(settings.webhooks), "sms" in channels)
        sender = Sender(sessions, settings, channels, clock)
        await _run_in_background(stack, sender)
        # Its batches' statements read every table through an index: planned once.
        consumer = build_consumer(settings, make_applier(applying_sessions(stack, settings),
                                                         notifying, clock))
        await consumer.start()
        stack.push_async_callback(consumer.stop)
        log.info("notifier consuming %s; channels: %s", consumer.queue_name,
                 ", ".join(channels) or "none configured")
        yield Runtime(settings, guard, engine, sessions, consumer, sender)
