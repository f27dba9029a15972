"""Every service creates the databases it needs at start-up, several at the same moment."""

import asyncio

import asyncpg

from opd_shared.database import _server_dsn, ensure_database


async def test_services_starting_together_all_find_their_shared_database(infra):
    url = f"{infra.postgres_url}/{infra.namespace('db')}_access"

    await asyncio.gather(*(ensure_database(url) for _ in range(8)))

    dsn, name = _server_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1",
                                   name) == 1
    finally:
        await conn.close()
