"""`make purge` forgets Scan & Share too: shares and visits whose day is past the retention
are deleted, recent ones kept, and a second run changes nothing (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from interop.bootstrap import MIGRATIONS_DIR
from opd_ops.dsn import server_dsn
from opd_ops.purge import purge
from opd_shared.database import migrate
from opd_shared.settings import ServiceSettings

TODAY = dt.date(2026, 3, 31)  # 30 days kept: 28 February is gone, 1 March stays


async def _seed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for visit, day in ((1, dt.date(2026, 2, 28)), (2, dt.date(2026, 3, 1))):
            await conn.execute(
                "INSERT INTO abdm_visits (id, patient_key, counter_code, day, attempt,"
                " token_number) VALUES ($1, $2, 'OPD-1', $3, 1, $4)",
                visit, f"91-0000-0000-000{visit}", day, f"DOC1-{day:%Y%m%d}-0001")
            await conn.execute(
                "INSERT INTO abdm_shares (request_id, received_at, counter_code, health_id,"
                " visit_id) VALUES ($1, $2, 'OPD-1', $3, $4)", uuid.uuid4(),
                dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC), f"p{visit}@sbx", visit)
    finally:
        await conn.close()


async def _left(dsn: str) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        visits = [r[0] for r in await conn.fetch("SELECT patient_key FROM abdm_visits")]
        shares = [r[0] for r in await conn.fetch("SELECT health_id FROM abdm_shares")]
        return visits, shares
    finally:
        await conn.close()


async def test_past_shares_and_visits_are_deleted_and_recent_ones_kept(infra) -> None:
    settings = infra.settings(ServiceSettings, infra.namespace("ipurge"), retention_days=30)
    database = f"{settings.namespace}_interop"
    await migrate(f"{settings.postgres_url}/{database}", MIGRATIONS_DIR)
    dsn = f"{server_dsn(settings.postgres_url)}/{database}"
    await _seed(dsn)

    first = await purge(settings, batch=1, say=lambda _: None, today=TODAY)
    left = await _left(dsn)
    second = await purge(settings, batch=1, say=lambda _: None, today=TODAY)

    assert (first["interop.abdm_shares"], first["interop.abdm_visits"]) == (1, 1)
    assert left == (["91-0000-0000-0002"], ["p2@sbx"])
    assert (second["interop.abdm_shares"], second["interop.abdm_visits"]) == (0, 0)
