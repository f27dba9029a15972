"""Correctness checks on the allocator's database after a run: nothing lost, doubled or over."""

from __future__ import annotations

import asyncpg

__all__ = ["over_capacity", "tokens_by_patient", "unsent_events"]


async def tokens_by_patient(allocator_dsn: str) -> dict[str, list[asyncpg.Record]]:
    conn = await asyncpg.connect(allocator_dsn)
    try:
        rows = await conn.fetch("SELECT id, token_number, patient_name, slot_id FROM tokens")
    finally:
        await conn.close()
    found: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        found.setdefault(row["patient_name"].removeprefix("patient-"), []).append(row)
    return found


async def over_capacity(allocator_dsn: str) -> list[asyncpg.Record]:
    """Slots whose live tokens exceed their places, or whose counter disagrees with them."""
    conn = await asyncpg.connect(allocator_dsn)
    try:
        return await conn.fetch("""
            SELECT s.id, s.max_capacity, s.current_count, count(t.id) AS holding
            FROM slots s LEFT JOIN tokens t ON t.slot_id = s.id
                 AND t.status NOT IN ('cancelled', 'no_show')
            GROUP BY s.id
            HAVING count(t.id) > s.max_capacity + s.overflow_count
                OR count(t.id) <> s.current_count""")
    finally:
        await conn.close()


async def unsent_events(allocator_dsn: str) -> int:
    """Events committed to the outbox and not yet published."""
    conn = await asyncpg.connect(allocator_dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await conn.close()
