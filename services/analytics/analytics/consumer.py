"""Analytics' event consumer: its own durable queue, one transaction per event, ack after commit.

A message that is not an event is rejected at once (the queue dead-letters it). An event
whose transaction fails goes back to the queue, and the quorum queue's delivery limit
dead-letters it if it keeps failing. While the database is unreachable, the event waits
here, unacknowledged, instead of burning its deliveries.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from faststream.exceptions import NackMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.events import apply_patiently, parse_event
from analytics.projections import apply_event
from analytics.settings import AnalyticsSettings
from opd_shared.logging import correlation_id
from opd_shared.metrics import EVENTS_APPLIED
from opd_shared.topology import Topology

__all__ = ["CONSUMER", "create_broker", "start_consuming"]

CONSUMER = "analytics"
log = logging.getLogger(__name__)


async def _raw_body(message: Any) -> bytes:
    # Parsing is ours (parse_event), so that a body that is not JSON is rejected, not retried.
    return bytes(message.body)


def create_broker(
    settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> RabbitBroker:
    broker = RabbitBroker(settings.amqp_url, logger=log, log_level=logging.DEBUG)
    queue = RabbitQueue(settings.topology.consumer_queue(CONSUMER), declare=False)
    max_pause = settings.db_retry_max_seconds
    zone = ZoneInfo(settings.timezone)  # arrivals count in the hospital's hours

    @broker.subscriber(
        queue,
        channel=Channel(prefetch_count=settings.prefetch_count),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
    )
    async def on_event(message: RabbitMessage) -> None:
        """Ack (by returning) only once the event's transaction has committed."""
        event = parse_event(message.body, message.message_id)
        correlation_id.set(str(event.command_id) if event.command_id else None)
        try:
            applied = await apply_patiently(lambda: apply_event(sessions, event, zone), event,
                                            max_pause)
        except Exception:
            log.exception(
                "event %s (%s, doctor %s seq %s) failed; back to the queue (redelivered %s times)",
                event.event_id, event.type, event.doctor_id, event.seq,
                message.headers.get("x-delivery-count", 0),
            )
            raise NackMessage(requeue=True) from None
        if applied:
            EVENTS_APPLIED.labels("analytics").inc()

    return broker


async def start_consuming(broker: RabbitBroker, topology: Topology) -> None:
    """Declare the queue (idempotent, exact arguments) before subscribing to it passively."""
    connection = await broker.connect()
    channel = await connection.channel()
    try:
        await topology.declare_consumer(channel, CONSUMER)
    finally:
        await channel.close()
    await broker.start()
