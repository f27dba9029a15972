"""The composition root: everything the allocator runs, built from its settings, started in
order and stopped in reverse. The one module that knows both the service layer and the
adapters that implement its ports; a test passes its own `handlers` here, not a patch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from allocator.adapters import ownership
from allocator.adapters.dead_letters import watch_dead_letters
from allocator.adapters.orm import map_domain
from allocator.adapters.relay import OutboxRelay, sweep_outbox
from allocator.adapters.relay_connections import relay_connections
from allocator.adapters.replies import ReplyBatcher
from allocator.adapters.unit_of_work import SqlTransactions
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.entrypoints.consumer import CommandQueueConsumer
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.decided import Handlers
from allocator.service_layer.group_commit import GroupCommit
from allocator.service_layer.handlers import HANDLERS
from allocator.settings import AllocatorSettings
from opd_shared.broker_nodes import connect_robust
from opd_shared.database import own_database
from opd_shared.messaging import Batching
from opd_shared.topology import Topology

__all__ = ["MIGRATIONS", "Runtime", "new_lanes", "start"]

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("allocator")


@dataclass(frozen=True)
class Runtime:
    """What the HTTP side of the process reaches: health checks and operators' replays."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    connection: AbstractRobustConnection
    topology: Topology
    deflate_events: bool  # OPD_DEFLATE_EVENTS, for replays

    def broker_connected(self) -> bool:
        """For /readyz (opd_shared.health), as every service's runtime answers it."""
        return not self.connection.is_closed


def new_lanes(settings: AllocatorSettings, sessions: async_sessionmaker[AsyncSession],
              handlers: Handlers = HANDLERS) -> list[GroupCommit]:
    """`commit_lanes` lanes, each with its share of the schedule cache's bounds."""
    policy = Policy(FairnessPolicy(settings.fairness_max_overtakes),
                    settings.bookings_per_phone_per_day)
    doctors = -(-settings.schedule_cache_doctors // settings.commit_lanes)
    tokens = -(-settings.schedule_cache_tokens // settings.commit_lanes)
    return [GroupCommit(SqlTransactions(sessions, settings.partitions, policy, doctors, tokens),
                        settings.timezone, handlers)
            for _ in range(settings.commit_lanes)]


def _consumers(settings: AllocatorSettings, topology: Topology,
               sessions: async_sessionmaker[AsyncSession], lanes: list[GroupCommit],
               relay: OutboxRelay) -> list[CommandQueueConsumer]:
    """One per command queue, with a decider for each partition it carries; this
    allocator's own queues (q % K == i) spread their partitions over all its lanes."""
    claim = partial(ownership.claim, sessions)
    lane = [lanes[(p // settings.allocator_count) % len(lanes)] for p in range(settings.partitions)]
    # A queue carries several partitions, spread over the lanes: its next batch need not
    # wait for the last one's round (a consumer per partition never did).
    batching = replace(Batching.of(settings), in_flight=len(lanes))
    return [CommandQueueConsumer(
                q, topology, [BatchDecider(p, claim, lane[p]) for p in topology.partitions_of(q)],
                relay, batching)
            for q in range(topology.command_queues)]


@asynccontextmanager
async def start(settings: AllocatorSettings,
                handlers: Handlers = HANDLERS) -> AsyncIterator[Runtime]:
    """Migrate, declare, connect, consume, relay and sweep; undo it all on exit."""
    async with AsyncExitStack() as stack:
        topology = settings.topology
        engine, sessions = await _database(stack, settings)
        connection, setup, events = await _broker(stack, settings.amqp_url, topology)
        lanes = new_lanes(settings, sessions, handlers)
        for lane in lanes:  # each gives its connection back before the pool closes
            stack.push_async_callback(lane.forget)
        relaying = await relay_connections(settings.database_url)
        stack.push_async_callback(relaying.close)  # after the relay's last call
        relay = OutboxRelay(relaying, events, deflate=settings.deflate_events)
        stack.push_async_callback(relay.stop)
        replies = await _replies(stack, connection)
        consumers = _consumers(settings, topology, sessions, lanes, relay)
        for consumer in consumers:
            stack.push_async_callback(consumer.stop)
        await _subscribe(stack, settings, consumers, connection, replies)
        for job in (sweep_outbox(relaying, events, settings.sweep_interval_seconds,
                                 deflate=settings.deflate_events),
                    watch_dead_letters(setup, topology.dead_letter_queue)):
            _in_background(stack, job)
        log.info("allocator consuming %d partitions in %d queues of %s; database %s",
                 settings.partitions, topology.command_queues, topology.commands_exchange,
                 engine.url.database)
        yield Runtime(engine, sessions, connection, topology, settings.deflate_events)
    log.info("allocator stopped")


async def _database(stack: AsyncExitStack, settings: AllocatorSettings
                    ) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    map_domain()
    return await own_database(stack, settings, MIGRATIONS)


async def _broker(stack: AsyncExitStack, amqp_url: str, topology: Topology
                  ) -> tuple[AbstractRobustConnection, AbstractChannel, AbstractExchange]:
    """Connected, with the commands' and events' exchanges and queues declared; the setup
    channel stays open for the dead-letter watch. Command queues of another
    `OPD_COMMAND_QUEUES` refuse the start (`Topology.check_command_queues`)."""
    await topology.check_command_queues(amqp_url)
    connection = await connect_robust(amqp_url)
    stack.push_async_callback(connection.close)
    setup = await connection.channel()
    await topology.declare_commands(setup)
    return connection, setup, await topology.declare_events(setup)


async def _replies(stack: AsyncExitStack,
                   connection: AbstractRobustConnection) -> ReplyBatcher:
    """One channel for every partition's replies (no confirms: see `ReplyBatcher`); on
    exit, after the consumers stopped, what is queued leaves before the channel closes."""
    channel = await connection.channel(publisher_confirms=False)
    stack.push_async_callback(channel.close)
    replies = ReplyBatcher(channel)
    stack.push_async_callback(replies.drain)
    return replies


async def _subscribe(stack: AsyncExitStack, settings: AllocatorSettings,
                     consumers: list[CommandQueueConsumer],
                     connection: AbstractRobustConnection, replies: ReplyBatcher) -> None:
    """RabbitMQ makes the first subscriber of a queue its active consumer, so each
    allocator subscribes to its own share at once and to the others a little later."""
    for consumer in consumers:
        if settings.prefers(consumer.queue):
            await consumer.start(connection, replies)
    later = [c for c in consumers if not settings.prefers(c.queue)]
    _in_background(stack, _stand_by(later, connection, replies,
                                    settings.standby_delay_seconds))


async def _stand_by(consumers: list[CommandQueueConsumer], connection: AbstractRobustConnection,
                    replies: ReplyBatcher, delay: float) -> None:
    await asyncio.sleep(delay)
    for consumer in consumers:
        await consumer.start(connection, replies)


def _in_background(stack: AsyncExitStack, job: Awaitable[None]) -> None:
    """Run `job` until the stack closes (cancelled then, before anything else stops)."""
    task = asyncio.ensure_future(job)
    stack.callback(task.cancel)
