"""The outbox relay: publishes committed events, in order, and marks them sent.

Rows are claimed with SKIP LOCKED, so the relay (right after each commit, for the partitions
that committed) and the periodic sweeper (for rows a crash left behind) never publish the
same row at once. A call is one statement in one transaction: the rows are claimed and
marked sent at once (`CLAIM_DUE`, `CLAIM_STRAY`), published while their locks are held, and
the mark commits only once the broker confirmed them; a failed publish rolls the mark back.
A crash between publishing and committing publishes a row twice; read models ignore repeats.
It made five round trips (BEGIN, SET LOCAL, look-up, UPDATE, COMMIT), through SQLAlchemy's
session; now three (BEGIN, the statement, COMMIT) on its own connections
(relay_connections.py). bench/relay_costs.py, alternated with the old relay, medians of 7
runs at a load of 5-9: a call of one event cost 3,100 us of this process's CPU and 700 of
PostgreSQL's, now 540 and 400; a call of 22 events (1,000 bookings/s offered) 3,000 and
1,030, now 820 and 700.

A page leaves as version-2 messages (`event_messages`): one per event type, up to
`BATCH_ITEMS_MAX` events each, so the routing key is still the type and a consumer bound
to some types gets exactly those. The broker's cost is per message; at 1,000 bookings/s a
page holds the few dozen events of the rounds since the last. Their bodies go deflated
(`OPD_DEFLATE_EVENTS`, `opd_shared.messaging.encoding` tells why): RabbitMQ writes each
message to its log once for every queue bound to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange

from opd_contracts.batches import BATCH_ITEMS_MAX
from opd_shared.messaging.encoding import DEFLATE, deflated
from opd_shared.metrics import MESSAGE_ITEMS, OUTBOX_LAG_SECONDS
from opd_shared.tracing import message_headers, relayed

__all__ = ["CLAIM_DUE", "CLAIM_STRAY", "OutboxRelay", "event_message", "event_messages",
           "relay_on", "relay_outbox", "sweep_outbox"]

log = logging.getLogger(__name__)
Row = Any  # a row of the relay's statement: routing_key, body (JSON text), event_id, ...


def _claim(which: str) -> str:
    """Up to $2 unpublished events (`which` of them), in order, locked and marked sent in
    this transaction; rows another relay holds are skipped. Their ids are collected into an
    array, so the UPDATE finds them by its primary key whatever the planner thinks of a
    join. The event is returned as the database's JSON text and sent as it is: decoding it
    only to encode it again cost the relay a tenth of its time. RETURNING keeps no order:
    the caller sorts. The mark is a new version of the whole row (never HOT: published_at is
    in ix_outbox_unpublished's predicate); the outbox's pages are filled half (migration
    0014) so it is written on its row's page, its WAL record only the changed bytes: WAL a
    booking ~4,910 -> ~3,570 bytes (decide_bench --relay, BENCHMARKS.md)."""
    return ("UPDATE outbox SET published_at = now() WHERE id = ANY(ARRAY("
            f"SELECT id FROM outbox WHERE published_at IS NULL AND {which}"
            " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED))"
            " RETURNING id, routing_key, event::text AS body, event->>'event_id' AS event_id,"
            " created_at, traceparent")


CLAIM_DUE = _claim("partition = ANY($1::integer[])")  # of the partitions that committed
CLAIM_STRAY = _claim("created_at < now() - $1::interval")  # a crash or a failover left


async def relay_outbox(connections: asyncpg.Pool, exchange: AbstractExchange,
                       partitions: Collection[int] | None = None,
                       older_than: dt.timedelta | None = None, limit: int = 500, *,
                       deflate: bool = True) -> int:
    """Publish up to `limit` unpublished events of some partitions, or else (`older_than`)
    stray ones of any partition, on a connection of the pool; deflated unless told not."""
    if partitions is not None and not partitions:
        return 0
    async with connections.acquire() as connection:
        return await relay_on(connection, exchange, partitions, older_than, limit,
                              deflate=deflate)


async def relay_on(connection: asyncpg.Connection, exchange: AbstractExchange,
                   partitions: Collection[int] | None = None,
                   older_than: dt.timedelta | None = None, limit: int = 500, *,
                   deflate: bool = True) -> int:
    """`relay_outbox` on a connection the caller holds."""
    if partitions is not None and not partitions:
        return 0
    claim, which = ((CLAIM_DUE, sorted(partitions)) if partitions is not None
                    else (CLAIM_STRAY, older_than or dt.timedelta(0)))
    async with connection.transaction():
        rows = sorted(await connection.fetch(claim, which, limit), key=lambda row: row.id)
        if not rows:
            return 0
        # Publish in order on one channel; the confirms are awaited together.
        await asyncio.gather(*(exchange.publish(message, routing_key=event_type)
                               for event_type, message in event_messages(rows, deflate=deflate)))
    published = dt.datetime.now(dt.UTC)
    for row in rows:
        OUTBOX_LAG_SECONDS.observe((published - row.created_at).total_seconds())
    return len(rows)


def event_messages(rows: Sequence[Row], *,
                   deflate: bool = True) -> Iterator[tuple[str, aio_pika.Message]]:
    """A page's events as version-2 messages: per event type (its routing key), in outbox
    order, `BATCH_ITEMS_MAX` at most to a message."""
    by_type: dict[str, list[Row]] = {}
    for row in rows:
        by_type.setdefault(row.routing_key, []).append(row)
    for event_type, same in by_type.items():
        for start in range(0, len(same), BATCH_ITEMS_MAX):
            page = same[start:start + BATCH_ITEMS_MAX]
            MESSAGE_ITEMS.labels("event").observe(len(page))
            yield event_type, event_message(page, deflate=deflate)


def event_message(rows: Sequence[Row], *, deflate: bool = True) -> aio_pika.Message:
    """An `EventBatch` of the rows' events, written around the database's JSON text of each
    (decoding them only to encode them again cost the relay a tenth of its time), deflated
    unless told not; its message id is its first event's."""
    body = ('{"version": 2, "events": [' + ", ".join(row.body for row in rows) + "]}").encode()
    return aio_pika.Message(body=deflated(body) if deflate else body,
                            content_type="application/json",
                            content_encoding=DEFLATE if deflate else None,
                            message_id=rows[0].event_id,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            headers=_trace_headers(rows))


def _trace_headers(rows: Sequence[Row]) -> dict[str, Any] | None:
    """Each event continues the trace its row stored (when tracing is on; replayed rows
    carry none)."""
    return message_headers({
        row.event_id: relayed(row.traceparent, row.event_id, row.routing_key, row.created_at)
        for row in rows if getattr(row, "traceparent", None)})


class OutboxRelay:
    """Publishes the events of the partitions whose transaction just committed, beside the
    consumers: deciding the next batch does not wait for the broker's confirms."""

    def __init__(self, connections: asyncpg.Pool, exchange: AbstractExchange, *,
                 deflate: bool) -> None:
        self.connections, self.exchange, self.deflate = connections, exchange, deflate
        self._due: set[int] = set()
        self._kicked = asyncio.Event()
        self._stopping = False
        self.task = asyncio.create_task(self._run(), name="outbox-relay")

    def kick(self, partition: int) -> None:
        self._due.add(partition)
        self._kicked.set()

    async def stop(self, seconds: float = 5.0) -> None:
        """Publish what is committed already, if the broker lets us in time."""
        self._stopping = True
        self._kicked.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self.task, seconds)

    async def _run(self) -> None:
        """Relay what is due whenever kicked, on a connection held from one call to the next:
        taking it from the pool and giving it back cost ~25 us of CPU a call
        (bench/relay_costs.py). One that failed is given back (the pool closes a broken
        one), and the next call takes another."""
        connection: asyncpg.Connection | None = None
        try:
            while True:
                await self._kicked.wait()
                self._kicked.clear()
                # Read before taking the due set: a stop that came while the last round was
                # publishing still gets one more round for the partitions kicked meanwhile.
                stopping = self._stopping
                due, self._due = self._due, set()
                try:
                    connection = connection or await self.connections.acquire()
                    while await relay_on(connection, self.exchange, due,
                                         deflate=self.deflate) >= 500:
                        pass  # a full page: there may be more
                except Exception:
                    # Left in the outbox: the next kick or the sweeper publishes them.
                    log.warning("relaying events of partitions %s failed", sorted(due),
                                exc_info=True)
                    await self._give_back(connection)
                    connection = None
                if stopping:
                    return
        finally:
            await self._give_back(connection)

    async def _give_back(self, connection: asyncpg.Connection | None) -> None:
        if connection is not None:
            with contextlib.suppress(Exception):
                await self.connections.release(connection)


async def sweep_outbox(connections: asyncpg.Pool, exchange: AbstractExchange,
                       interval: float, *, deflate: bool) -> None:
    """Publish events a crash or a failover left unsent, whichever partition wrote them."""
    while True:
        await asyncio.sleep(interval)
        try:
            await relay_outbox(connections, exchange, older_than=dt.timedelta(seconds=interval),
                               deflate=deflate)
        except Exception:
            log.warning("outbox sweep failed; will try again", exc_info=True)
