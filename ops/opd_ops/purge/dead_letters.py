"""Dead letters hold whole commands and events, names and phones among them.

Each message on `<ns>.dead` is looked at once. One from before the cutoff (by the day its
body says it was issued or occurred, a batch by its latest item's, else the day the broker
dead-lettered it; a message of no known day counts as old: better a lost name than one kept
for ever) is published again,
redacted, with its headers, and acked only once the broker confirmed the copy: a crash in
between leaves both, never neither. A deflated body (events) is inflated first, and its
copy goes plain. A body that is not JSON cannot be redacted field by field and is replaced
whole. The others stay unacked until the channel closes, which puts
them back where they were; a redacted copy joins the queue's end.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelNotFoundEntity

from opd_ops.purge.stores import PURGED
from opd_shared.broker_nodes import connect
from opd_shared.messaging import body_of
from opd_shared.topology import Topology

__all__ = ["purge_dead_letters", "redacted"]

UNREADABLE = json.dumps({"purged": "a body that was not JSON"}).encode()


def redacted(value: Any) -> Any:
    """A copy of a JSON document with every patient's name, phone, notes and ABHA number
    blanked."""
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if not isinstance(value, dict):
        return value
    blank = {"patient_name": PURGED, "patient_phone": None, "notes": None, "abha_number": None}
    return {key: blank[key] if key in blank and item is not None else redacted(item)
            for key, item in value.items()}


def _when(body: Any) -> dt.datetime | None:
    """When the body says it was issued or occurred; a batch (version 2) its latest item's,
    so a batch is old only once every item in it is."""
    if not isinstance(body, dict):
        return None
    items = body.get("commands", body.get("events"))
    if isinstance(items, list):
        return max((when for item in items if (when := _when(item)) is not None), default=None)
    stamp = body.get("issued_at") or body.get("occurred_at")
    try:
        when = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=dt.UTC)


def _day(body: Any, message: AbstractIncomingMessage, zone: ZoneInfo) -> dt.date | None:
    when = _when(body)
    deaths = (message.headers or {}).get("x-death")
    died = deaths[0].get("time") if isinstance(deaths, list) and deaths \
        and isinstance(deaths[0], dict) else None
    found = when or died or message.timestamp
    if not isinstance(found, dt.datetime):
        return None
    return (found if found.tzinfo else found.replace(tzinfo=dt.UTC)).astimezone(zone).date()


def _new_body(message: AbstractIncomingMessage, cutoff: dt.date, zone: ZoneInfo) -> bytes | None:
    """The redacted body (plain, however the message came), or None when the message stays
    as it is."""
    try:
        body = json.loads(body_of(message))
    except ValueError:  # UnreadableBody among them
        body = None
    day = _day(body, message, zone)
    if day is not None and day >= cutoff:
        return None
    if body is None:
        return None if message.body == UNREADABLE else UNREADABLE
    clean = redacted(body)
    return None if clean == body else json.dumps(clean).encode()


async def purge_dead_letters(amqp_url: str, topology: Topology, cutoff: dt.date,
                             zone: ZoneInfo) -> tuple[int, int]:
    """How many dead letters were redacted, and how many were looked at."""
    async with await connect(amqp_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        try:
            queue = await channel.declare_queue(topology.dead_letter_queue, passive=True)
        except ChannelNotFoundEntity:
            return 0, 0
        exchange = await channel.get_exchange(topology.dead_letter_exchange)
        waiting = queue.declaration_result.message_count or 0
        changed = 0
        for _ in range(waiting):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            body = _new_body(message, cutoff, zone)
            if body is not None:
                await exchange.publish(aio_pika.Message(
                    body, headers=message.headers, message_id=message.message_id,
                    content_type="application/json", timestamp=message.timestamp,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key="dead")
                await message.ack()
                changed += 1
        return changed, waiting
