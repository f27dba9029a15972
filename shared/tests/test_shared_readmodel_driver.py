"""A read model's batch on the asyncpg connection (`opd_shared.readmodel.driver`): one
transaction, committed or rolled back whole; errors as SQLAlchemy would raise them; a dead
connection never handed out again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_shared.database import Pool, drop_database, ensure_database, is_transient, new_engine
from opd_shared.readmodel import Together, ignoring
from opd_shared.readmodel.driver import Statement, batch_transaction
from opd_shared.retries import reason_for

metadata = MetaData()
ROWS = Table("rows", metadata, Column("id", BigInteger, primary_key=True))
_WRITE = Together((("rows", ignoring(ROWS)),))
_COUNT = Statement.of(select(ROWS.c.id).where(ROWS.c.id >= text(":least")))


@pytest.fixture
async def sessions(infra: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"{infra.postgres_url}/{infra.namespace('driver')}_shared"
    await ensure_database(url)
    engine = new_engine(url, Pool(1, 0))  # one connection: the one that died, or a new one
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield async_sessionmaker(engine)
    await engine.dispose()
    await drop_database(url)


async def _ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list((await session.scalars(select(ROWS.c.id).order_by(ROWS.c.id))).all())


async def test_a_batch_commits_whole_or_not_at_all(sessions: Any) -> None:
    async with batch_transaction(sessions) as connection:
        await _WRITE.write(connection, {"rows": [{"id": 1}, {"id": 2}]})
        assert [r["id"] for r in await _COUNT.fetch(connection, {"least": 2})] == [2]
    with pytest.raises(DBAPIError) as refused:
        async with batch_transaction(sessions) as connection:
            await _WRITE.write(connection, {"rows": [{"id": 3}]})
            await connection.execute("SELECT 1 / 0")

    assert await _ids(sessions) == [1, 2]  # the second batch's row went with it
    assert reason_for(refused.value) == "DBAPIError (SQLSTATE 22012)"
    assert not is_transient(refused.value)


async def test_a_connection_that_died_is_replaced_not_reused(sessions: Any) -> None:
    async with batch_transaction(sessions) as connection:
        killer = connection
    with pytest.raises(DBAPIError) as lost:
        async with batch_transaction(sessions) as connection:
            assert connection is killer  # the pool's one connection
            await connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    assert lost.value.connection_invalidated and is_transient(lost.value)
    async with batch_transaction(sessions) as connection:
        assert connection is not killer
        await _WRITE.write(connection, {"rows": [{"id": 7}]})
    assert await _ids(sessions) == [7]


def test_an_expanding_list_is_refused_for_it_would_be_rendered_per_call() -> None:
    with pytest.raises(ValueError, match="expanding"):
        Statement.of(select(ROWS.c.id).where(ROWS.c.id.in_([1, 2])))
