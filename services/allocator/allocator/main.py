"""The allocator process: every partition's consumer, the outbox sweeper, and health."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.orm import map_domain
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.entrypoints import admin
from allocator.entrypoints.batches import BatchDecider
from allocator.entrypoints.consumer import PartitionConsumer
from allocator.entrypoints.group_commit import GroupCommit
from allocator.entrypoints.relay import OutboxRelay, relay_outbox
from allocator.settings import AllocatorSettings
from opd_shared.access import open_guard
from opd_shared.app import process_settings, service_app
from opd_shared.database import migrate, service_engine
from opd_shared.health import add_health_routes
from opd_shared.messaging import Batching
from opd_shared.metrics import DEAD_LETTER_DEPTH

__all__ = ["create_app"]

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("allocator")


def create_app(settings: AllocatorSettings | None = None) -> FastAPI:
    settings = settings or process_settings(AllocatorSettings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        map_domain()
        await migrate(settings.database_url, MIGRATIONS)
        app.state.guard = guard = await open_guard(settings)
        engine = service_engine(settings)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        connection = await aio_pika.connect_robust(settings.amqp_url)
        topology = settings.topology
        setup = await connection.channel()
        await topology.declare_commands(setup)
        events = await topology.declare_events(setup)
        policy = Policy(FairnessPolicy(settings.fairness_max_overtakes),
                        settings.bookings_per_phone_per_day)
        lanes = [GroupCommit(sessions, settings.partitions, settings.timezone, policy,
                             -(-settings.schedule_cache_doctors // settings.commit_lanes),
                             -(-settings.schedule_cache_tokens // settings.commit_lanes))
                 for _ in range(settings.commit_lanes)]
        relay = OutboxRelay(sessions, events)
        consumers = [
            PartitionConsumer(p, topology, BatchDecider(
                sessions, p, settings.partitions, settings.timezone, policy,
                group=lanes[_lane(p, settings)],
            ), relay, Batching.of(settings))
            for p in range(settings.partitions)
        ]
        # RabbitMQ makes the first subscriber of a partition its active consumer, so each
        # allocator subscribes to its own share at once and to the others a little later.
        for consumer in consumers:
            if settings.prefers(consumer.partition):
                await consumer.start(connection)
        standby = asyncio.create_task(_stand_by(
            [c for c in consumers if not settings.prefers(c.partition)], connection,
            settings.standby_delay_s))
        sweeper = asyncio.create_task(_sweep(sessions, events, settings.sweep_interval_s))
        watcher = asyncio.create_task(_watch_dead_letters(setup, topology.dead_letter_queue))
        app.state.connection, app.state.engine = connection, engine
        app.state.sessions, app.state.topology = sessions, topology
        log.info("allocator consuming %d partitions of %s; database %s",
                 settings.partitions, topology.commands_exchange, engine.url.database)
        try:
            yield
        finally:
            for task in (sweeper, watcher, standby):
                task.cancel()
            for consumer in consumers:
                await consumer.stop()
            await relay.stop()
            for lane in lanes:
                await lane.forget()  # gives its connection back before the pool closes
            await connection.close()
            await engine.dispose()
            await guard.close()
            log.info("allocator stopped")

    app = service_app(settings, title="OPD allocator", lifespan=lifespan,
                      description="Health, readiness and operators' replays; no public API.")
    add_health_routes(app)
    app.include_router(admin.router)
    return app


async def _sweep(sessions: async_sessionmaker, events: aio_pika.abc.AbstractExchange,
                 interval: float) -> None:
    """Publish events a crash or a failover left unsent, whichever partition wrote them."""
    while True:
        await asyncio.sleep(interval)
        try:
            await relay_outbox(sessions, events, older_than=dt.timedelta(seconds=interval))
        except Exception:
            log.warning("outbox sweep failed; will try again", exc_info=True)


def _lane(partition: int, settings: AllocatorSettings) -> int:
    """Spread this allocator's own partitions (p % K == i) over all its lanes."""
    return (partition // settings.allocator_count) % settings.commit_lanes


async def _watch_dead_letters(channel: aio_pika.abc.AbstractChannel, queue: str) -> None:
    """Keep the dead-letter queue's depth on /metrics: each message there needs a person."""
    while True:
        try:
            declared = await channel.declare_queue(queue, passive=True)
            DEAD_LETTER_DEPTH.set(declared.declaration_result.message_count or 0)
        except Exception:
            log.debug("dead-letter depth unknown for now", exc_info=True)
        await asyncio.sleep(5)


async def _stand_by(consumers: list[PartitionConsumer],
                    connection: aio_pika.abc.AbstractRobustConnection, delay: float) -> None:
    await asyncio.sleep(delay)
    for consumer in consumers:
        await consumer.start(connection)
