"""Every service creates the databases it needs at start-up, several at the same moment."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from opd_shared.database import Pool, _server_dsn, ensure_database, is_unreachable, new_engine


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


async def test_after_the_database_cut_every_connection_only_the_first_use_fails(infra):
    """No pre-ping (opd_shared.database.POOLS): a restart costs one failed use, seen as
    unreachable (a consumer waits it out, a request gets 503), and no more: the pool drops
    every connection it opened before."""
    url = f"{infra.postgres_url}/{infra.namespace('db')}_cut"
    await ensure_database(url)
    engine = new_engine(url, Pool(3, 0))
    try:
        async with engine.connect() as a, engine.connect() as b, engine.connect() as c:
            pids = [await conn.scalar(text("SELECT pg_backend_pid()")) for conn in (a, b, c)]
        dsn, _ = _server_dsn(url)
        killer = await asyncpg.connect(dsn)
        try:
            await killer.fetch("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p", pids)
        finally:
            await killer.close()

        with pytest.raises(DBAPIError) as first:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert is_unreachable(first.value)
        for _ in range(3):  # the other two pooled connections are not handed out dead
            async with engine.connect() as conn:
                assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("connect_args", [None, {"timeout": 5, "command_timeout": 5}])
async def test_every_statement_is_planned_for_its_own_parameters(infra, connect_args):
    """No generic plan kept from when a table was empty (opd_shared.database), also on an
    engine with connection arguments of its own (the key store's timeouts)."""
    url = f"{infra.postgres_url}/{infra.namespace('db')}_plans"
    await ensure_database(url)
    options = {} if connect_args is None else {"connect_args": connect_args}
    engine = new_engine(url, Pool(1, 0), **options)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    finally:
        await engine.dispose()
