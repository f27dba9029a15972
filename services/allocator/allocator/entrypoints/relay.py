"""The outbox relay: publishes committed events, in order, and marks them sent.

Rows are claimed with SKIP LOCKED, so the partition worker (right after each commit) and
the periodic sweeper (for rows a crash left behind) never publish the same row at once.
A crash between publishing and marking publishes a row twice; read models ignore repeats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging

import aio_pika
from aio_pika.abc import AbstractExchange
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from allocator.adapters.orm import outbox
from opd_shared.metrics import OUTBOX_LAG_SECONDS

__all__ = ["relay_outbox"]

log = logging.getLogger(__name__)


async def relay_outbox(sessions: async_sessionmaker[AsyncSession], exchange: AbstractExchange,
                       partition: int | None = None, older_than: dt.timedelta | None = None,
                       limit: int = 500) -> int:
    """Publish up to `limit` unpublished events (of one partition, or stray ones)."""
    query = select(outbox.c.id, outbox.c.routing_key, outbox.c.event, outbox.c.created_at).where(
        outbox.c.published_at.is_(None)
    )
    if partition is not None:
        query = query.where(outbox.c.partition == partition)
    if older_than is not None:
        query = query.where(outbox.c.created_at < dt.datetime.now(dt.UTC) - older_than)
    query = query.order_by(outbox.c.id).limit(limit).with_for_update(skip_locked=True)
    async with sessions() as session, session.begin():
        rows = (await session.execute(query)).all()
        if not rows:
            return 0
        # Publish in order on one channel; the confirms are awaited together.
        await asyncio.gather(*(
            exchange.publish(
                aio_pika.Message(
                    body=_json(row.event), content_type="application/json",
                    message_id=row.event["event_id"],
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=row.routing_key,
            )
            for row in rows
        ))
        published = dt.datetime.now(dt.UTC)
        await session.execute(
            update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
            .values(published_at=published)
        )
    for row in rows:
        OUTBOX_LAG_SECONDS.observe((published - row.created_at).total_seconds())
    return len(rows)



def _json(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()
