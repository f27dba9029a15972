"""The event consumer: a FastStream subscriber on queue-view's own durable quorum queue.

A message is acked only after its transaction committed. While the database is
unavailable the event waits in its handler, unacknowledged, and is tried again after a
growing pause (`queue_view.patience`), so an outage spends none of its deliveries. Any
other failure nacks it back to the queue, and the queue's delivery limit dead-letters a
message that keeps failing. A body that is not an event at all is rejected at once
(dead-lettered), since retrying cannot fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from faststream import AckPolicy
from faststream.exceptions import RejectMessage
from faststream.message import StreamMessage
from faststream.rabbit import Channel, QueueType, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from pydantic import ValidationError

from opd_shared.contracts import EventEnvelope
from opd_shared.logging import correlation_id
from opd_shared.metrics import EVENTS_APPLIED
from queue_view.patience import apply_patiently
from queue_view.settings import QueueViewSettings

__all__ = ["CONSUMER", "Applier", "build_broker", "declare_queue"]

CONSUMER = "queue_view"
Applier = Callable[[EventEnvelope], Awaitable[bool]]

log = logging.getLogger(__name__)


async def declare_queue(settings: QueueViewSettings) -> None:
    """Declare (idempotently) the queue, its binding to every event and the dead letters."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await settings.topology.declare_consumer(channel, CONSUMER)


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    # Parse in the handler instead, so a malformed body is rejected with a clear log line
    # rather than failing inside FastStream's JSON decoder and being retried.
    return message.body


def _parse(body: bytes, message: RabbitMessage) -> EventEnvelope:
    try:
        return EventEnvelope.model_validate_json(body)
    except ValidationError as error:
        log.warning(
            "rejected message %s (routing key %r): not an event: %s",
            message.message_id, message.raw_message.routing_key,
            error.errors(include_url=False, include_input=False),
        )
        raise RejectMessage from error


def build_broker(settings: QueueViewSettings, apply: Applier) -> RabbitBroker:
    broker = RabbitBroker(settings.amqp_url, log_level=logging.DEBUG)
    queue = RabbitQueue(
        settings.topology.consumer_queue(CONSUMER), queue_type=QueueType.QUORUM, declare=False
    )
    max_pause = settings.db_retry_max_seconds

    @broker.subscriber(
        queue,
        channel=Channel(prefetch_count=settings.prefetch),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
    )
    async def on_event(body: bytes, message: RabbitMessage) -> None:
        event = _parse(body, message)
        correlation_id.set(str(event.command_id) if event.command_id else None)
        try:
            applied = await apply_patiently(lambda: apply(event), event, max_pause)
        except Exception:
            log.exception(
                "event %s (%s, doctor %s seq %s) failed; nacked for redelivery (delivery %s)",
                event.event_id, event.type, event.doctor_id, event.seq,
                message.headers.get("x-delivery-count", 0),
            )
            raise
        log.debug("event %s doctor %s seq %s %s", event.event_id, event.doctor_id,
                  event.seq, "applied" if applied else "already applied")
        if applied:
            EVENTS_APPLIED.labels("queue_view").inc()

    return broker
