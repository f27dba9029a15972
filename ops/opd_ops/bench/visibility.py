"""When each booking became visible in each read model, read from their databases after the
run: every booking is measured, and nothing polls the services while they are timed.

The allocator's outbox names the event that allocated each token; analytics' facts say
when analytics received that event, and queue-view's record of applied events when it
applied it. Both times are the applying transaction's start (PostgreSQL's `now()`); its
commit, after which the API shows the token, follows within milliseconds. The 201's time is
the load generator's wall clock: the same machine's clock.
"""

from __future__ import annotations

import uuid

import asyncpg

__all__ = ["lags_ms", "unapplied_events"]

_ALLOCATING_EVENT = """
    SELECT (t->>'id')::bigint AS token_id, (o.event->>'event_id')::uuid AS event_id
    FROM outbox o CROSS JOIN LATERAL json_array_elements(o.event->'tokens') AS t
    WHERE o.routing_key = 'token.allocated' AND (t->>'id')::bigint = ANY($1::bigint[])
"""
_SEEN = {
    "analytics": "SELECT event_id, received_at AS at FROM event_facts"
                 " WHERE event_id = ANY($1::uuid[])",
    "queue_view": "SELECT event_id, applied_at AS at FROM applied_events"
                  " WHERE event_id = ANY($1::uuid[])",
}
_ALL_EVENTS = {"analytics": "SELECT count(*) FROM event_facts",
               "queue_view": "SELECT count(*) FROM applied_events"}


async def lags_ms(server_dsn: str, namespace: str,
                  booked: list[dict]) -> dict[str, list[float | None]]:
    """Per read model, per booking: ms from its 201 until applied (None: never seen)."""
    answered = {b["id"]: b["at"] for b in booked}
    rows = await _fetch(f"{server_dsn}/{namespace}_allocator", _ALLOCATING_EVENT,
                        list(answered))
    event_of: dict[int, uuid.UUID] = {row["token_id"]: row["event_id"] for row in rows}
    lags: dict[str, list[float | None]] = {}
    for model, query in _SEEN.items():
        seen = {row["event_id"]: row["at"] for row in await _fetch(
            f"{server_dsn}/{namespace}_{model}", query, list(event_of.values()))}
        at = {token: seen.get(event) for token, event in event_of.items()}
        lags[model] = [None if (when := at.get(token)) is None
                       else (when.timestamp() - answered[token]) * 1000
                       for token in answered]
    return lags


async def unapplied_events(server_dsn: str, namespace: str) -> int:
    """Events the allocator committed that a read model has not applied yet (summed over
    both): a queue can be empty while a consumer still holds deliveries it has not
    committed."""
    committed = await _count(f"{server_dsn}/{namespace}_allocator", "SELECT count(*) FROM outbox")
    missing = 0
    for model, query in _ALL_EVENTS.items():
        missing += committed - await _count(f"{server_dsn}/{namespace}_{model}", query)
    return missing


async def _fetch(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _count(dsn: str, query: str) -> int:
    return int((await _fetch(dsn, query))[0][0])
