"""start_round() plans its statements once per connection (migration 0012), and so does
read_round(), its reads without the lock for a round alone (migration 0013); those plans
read every table by its primary key even when made on empty tables: a plan made once is
kept for the connection's life, and one that read a table whole would get dearer with
every command the inbox records (the regression `force_custom_plan` was set for)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from opd_shared.database import CONNECTION_SETTINGS

CALLS = {function: f"SELECT * FROM {function}($1::bigint[], $2::uuid[], $3::bigint[],"
                   " $4::integer)" for function in ("start_round", "read_round")}
STATEMENTS = {"start_round": 2, "read_round": 1}  # how many statements each runs
TABLES_BY_KEY = {"partition_owners": "pk_partition_owners", "inbox": "pk_inbox",
                 "doctors": "pk_doctors"}


@pytest.fixture
async def connection(sessions) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the allocator's (its settings) on freshly migrated, empty tables,
    whose statements' plans, nested ones included, come back as notices (auto_explain)."""
    url = make_url(sessions.kw["bind"].url.render_as_string(hide_password=False))
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(
        hide_password=False), server_settings=CONNECTION_SETTINGS)
    await connection.execute(
        "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
        " SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice")
    yield connection
    await connection.close()


async def _plans(connection: asyncpg.Connection, function: str) -> list[str]:
    """The plans of the function's own statements over two calls, each in a round's
    transaction."""
    notices: list[str] = []
    connection.add_log_listener(lambda _, message: notices.append(message.message))
    for _ in range(2):
        async with connection.transaction():
            await connection.fetch(CALLS[function], [3], [uuid.uuid4()], [1, 2], 1)
    await asyncio.sleep(0.1)  # notices arrive with the calls, handed over by the loop
    return [n for n in notices if function not in n and
            any(f" {table} " in n for table in TABLES_BY_KEY)]


@pytest.mark.parametrize("function", CALLS)
async def test_a_rounds_reads_are_planned_once_for_any_parameters(connection, function):
    plans = await _plans(connection, function)

    assert len(plans) == 2 * STATEMENTS[function]  # its statements, twice
    # A generic plan: the parameters are `$n`, not this call's values.
    assert all("ANY ($" in plan for plan in plans), plans


@pytest.mark.parametrize("function", CALLS)
async def test_a_rounds_reads_plans_read_each_table_by_its_key_even_when_it_is_empty(
        connection, function):
    plans = "\n".join(await _plans(connection, function))

    assert "Seq Scan" not in plans
    for table, key in TABLES_BY_KEY.items():
        assert f"on {key}" in plans, (table, plans)
