"""Re-publish the whole event history to one read model's queue, so it can be rebuilt.

The outbox keeps every event after publishing it; read models apply snapshots by seq, so
a replay over live traffic converges to the same state as the live model. The history goes
out as the relay sends it: version-2 messages of up to `BATCH_ITEMS_MAX` events of a type,
deflated unless told not.
"""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractChannel
from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import outbox
from allocator.adapters.relay import event_messages

__all__ = ["replay_history"]

log = logging.getLogger(__name__)
PAGE = 1000


async def replay_history(sessions: async_sessionmaker[AsyncSession], channel: AbstractChannel,
                         queue: str, *, deflate: bool) -> int:
    """Publish every event, oldest first, straight to `queue`; returns how many."""
    last_id, sent = 0, 0
    while True:
        async with sessions() as session:
            rows = (await session.execute(
                select(outbox.c.id, outbox.c.routing_key,
                       cast(outbox.c.event, Text).label("body"),
                       outbox.c.event["event_id"].as_string().label("event_id"))
                .where(outbox.c.id > last_id)
                .order_by(outbox.c.id).limit(PAGE)
            )).all()
        if not rows:
            break
        for _, message in event_messages(rows, deflate=deflate):
            await channel.default_exchange.publish(message, routing_key=queue)
        last_id, sent = rows[-1].id, sent + len(rows)
        log.info("replayed %d events to %s", sent, queue)
    return sent
