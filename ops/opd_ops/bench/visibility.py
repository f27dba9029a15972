"""When each booking became visible in each read model, read from their databases after the
run: every booking is measured, and nothing polls the services while they are timed.

Analytics' audit trail names the event that allocated each token, and when analytics
received it; queue-view's record of applied events says when it applied that same event.
Both times are the applying transaction's start (PostgreSQL's `now()`); its commit, after
which the API shows the token, follows within milliseconds. The 201's time is the load
generator's wall clock: the same machine's clock.
"""

from __future__ import annotations

import asyncpg

__all__ = ["lags_ms"]

_ALLOCATED_IN_ANALYTICS = """
    SELECT h.token_id, h.event_id, f.received_at
    FROM token_history h JOIN event_facts f USING (event_id)
    WHERE h.type = 'token.allocated' AND h.token_id = ANY($1::bigint[])
"""
_APPLIED_IN_QUEUE_VIEW = """
    SELECT event_id, applied_at FROM applied_events WHERE event_id = ANY($1::uuid[])
"""


async def lags_ms(server_dsn: str, namespace: str,
                  booked: list[dict]) -> dict[str, list[float | None]]:
    """Per read model, per booking: ms from its 201 until applied (None: never seen)."""
    answered = {b["id"]: b["at"] for b in booked}
    analytics = await _fetch(f"{server_dsn}/{namespace}_analytics", _ALLOCATED_IN_ANALYTICS,
                             list(answered))
    event_of = {row["token_id"]: row["event_id"] for row in analytics}
    seen_by_analytics = {row["token_id"]: row["received_at"] for row in analytics}
    queue_view = await _fetch(f"{server_dsn}/{namespace}_queue_view", _APPLIED_IN_QUEUE_VIEW,
                              list(event_of.values()))
    applied = {row["event_id"]: row["applied_at"] for row in queue_view}
    seen_by_queue_view = {token: applied.get(event) for token, event in event_of.items()}

    def lag(seen: dict, token: int) -> float | None:
        at = seen.get(token)
        return None if at is None else (at.timestamp() - answered[token]) * 1000

    return {"queue_view": [lag(seen_by_queue_view, token) for token in answered],
            "analytics": [lag(seen_by_analytics, token) for token in answered]}


async def _fetch(dsn: str, query: str, keys: list) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query, keys)
    finally:
        await conn.close()
