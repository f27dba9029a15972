"""Migration 0005: history written before events named their move kind gets one, once."""

from __future__ import annotations

import datetime as dt
import json

import asyncpg
import pytest

from allocator.bootstrap import MIGRATIONS
from allocator.settings import AllocatorSettings
from opd_shared.database import migrate

OLD_EVENTS = {  # reason (or None) and type -> the kind the history must now name
    ("doctor delayed 30 min: surgery", "token.moved"): "delay",
    ("moved from slot 7 to make room for an emergency", "token.moved"): "emergency_bump",
    ("patient asked", "token.moved"): "reallocation",
    ("transferred to a colleague (was DOC1-20300101-0001)", "token.allocated"): "transfer",
}


@pytest.fixture
async def old_history(infra):
    settings = infra.settings(AllocatorSettings, infra.namespace("history"))
    await migrate(settings.database_url, MIGRATIONS, revision="0004")
    conn = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    rows = [(reason, kind, {"type": kind, "reason": reason, "move_kind": None,
                            "tokens": [{"move_reason": reason, "moved_from_slot_id": 7}]})
            for reason, kind in OLD_EVENTS]
    rows.append(("booked", "token.allocated", {"type": "token.allocated", "move_kind": None,
                                               "tokens": [{"moved_from_slot_id": None}]}))
    for _, kind, event in rows:
        await conn.execute(
            "INSERT INTO outbox (partition, routing_key, event, created_at) "
            "VALUES (0, $1, $2::jsonb, $3)", kind, json.dumps(event), dt.datetime.now(dt.UTC))
    yield settings, conn
    await conn.close()


async def test_old_moves_are_stamped_with_the_kind_their_reason_told(old_history):
    settings, conn = old_history

    await migrate(settings.database_url, MIGRATIONS)

    stamped = {(r["reason"], r["type"]): r["kind"] for r in await conn.fetch(
        "SELECT coalesce(event->'tokens'->0->>'move_reason', 'booked') AS reason, "
        "event->>'type' AS type, event->>'move_kind' AS kind FROM outbox")}
    assert stamped == {**OLD_EVENTS, ("booked", "token.allocated"): None}
