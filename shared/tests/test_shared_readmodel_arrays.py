"""The read models' set-based writes (`opd_shared.readmodel.arrays`) against PostgreSQL: a
batch's rows in one execution, with the meaning the per-row upserts had (issue #13)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, event, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opd_shared.database import drop_database, ensure_database, new_engine
from opd_shared.readmodel import Together, adding, ignoring, replacing
from opd_shared.readmodel.driver import batch_transaction

metadata = MetaData()
RECORDS = Table("records", metadata, Column("id", BigInteger, primary_key=True),
                Column("name", String(16)), Column("version", BigInteger, nullable=False))
COUNTS = Table("counts", metadata, Column("day", String(10), primary_key=True),
               Column("source", String(16), primary_key=True),
               Column("tokens", BigInteger, nullable=False))
# Created by the test, its columns in another order than these (not by `metadata`).
REORDERED = Table("reordered", MetaData(), Column("id", BigInteger, primary_key=True),
                  Column("name", String(16)), Column("version", BigInteger, nullable=False))


@pytest.fixture
async def sessions(infra: Any) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession],
                                                       list[tuple[str, bool]]]]:
    """Sessions on a database of its own holding the two tables, and the statements that
    each execution sends, with whether it was run once per row (executemany)."""
    url = f"{infra.postgres_url}/{infra.namespace('arrays')}_shared"
    await ensure_database(url)
    engine = new_engine(url)
    sent: list[tuple[str, bool]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        sent.append((statement, executemany))

    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sent.clear()
    yield async_sessionmaker(engine), sent
    await engine.dispose()
    await drop_database(url)


async def _rows(session: AsyncSession, table: Table) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in (await session.execute(select(table))).all()}


async def test_a_batch_of_snapshots_is_one_execution_and_only_newer_versions_replace_rows(
    sessions: Any,
) -> None:
    factory, sent = sessions
    async with factory.begin() as session:
        await replacing(RECORDS, newer_only=True).execute(session, [
            {"id": 1, "name": "a", "version": 5}, {"id": 2, "name": "b", "version": 5}])
    sent.clear()

    async with factory.begin() as session:
        await replacing(RECORDS, newer_only=True).execute(session, [
            {"id": 1, "name": "older", "version": 4}, {"id": 2, "name": "newer", "version": 6},
            {"id": 3, "name": "new", "version": 1}])
        found = await _rows(session, RECORDS)

    assert found == {(1, "a", 5), (2, "newer", 6), (3, "new", 1)}
    assert [many for statement, many in sent if statement.startswith("INSERT")] == [False]


async def test_without_the_guard_a_row_is_replaced_at_the_same_version(sessions: Any) -> None:
    factory, _ = sessions
    async with factory.begin() as session:
        await replacing(RECORDS, newer_only=False).execute(
            session, [{"id": 1, "name": "a", "version": 5}])
        await replacing(RECORDS, newer_only=False).execute(
            session, [{"id": 1, "name": "adopted", "version": 5}])
        found = await _rows(session, RECORDS)

    assert found == {(1, "adopted", 5)}


async def test_counts_add_up_to_those_present(sessions: Any) -> None:
    factory, _ = sessions
    async with factory.begin() as session:
        await adding(COUNTS).execute(session, [
            {"day": "d1", "source": "online", "tokens": 2},
            {"day": "d1", "source": "walk_in", "tokens": 1}])
        await adding(COUNTS).execute(session, [
            {"day": "d1", "source": "online", "tokens": -1},
            {"day": "d2", "source": "online", "tokens": 3}])
        found = await _rows(session, COUNTS)

    assert found == {("d1", "online", 1), ("d1", "walk_in", 1), ("d2", "online", 3)}


async def test_a_claim_returns_only_the_keys_that_were_new(sessions: Any) -> None:
    factory, _ = sessions
    claim = ignoring(RECORDS, ("id", "version"), returning=("id",))
    async with factory.begin() as session:
        await claim.execute(session, [{"id": 7, "version": 1}])
        result = await claim.execute(session, [{"id": 6, "version": 1},
                                               {"id": 7, "version": 2}])
        assert result is not None
        inserted = set(result.scalars())
        found = await _rows(session, RECORDS)
        nothing = await claim.execute(session, [])  # no rows: no statement

    assert inserted == {6}
    assert found == {(6, None, 1), (7, None, 1)}
    assert nothing is None


async def test_rows_as_records_land_in_their_columns_whatever_the_tables_order(
    sessions: Any,
) -> None:
    """`records_sql` takes the rows by column name: a table whose columns were created in
    another order than its `Table` lists them (a migration added one) gets every value in
    its place, and the conflict clause works as with arrays."""
    factory, _ = sessions
    async with factory.begin() as session:
        await session.execute(text(
            "CREATE TABLE reordered (version bigint NOT NULL, name varchar(16),"
            " id bigint PRIMARY KEY)"))
        insert = replacing(REORDERED, newer_only=True)
        statement = text(insert.records_sql("rows"))
        await session.execute(statement, {"rows": [{"id": 1, "name": "a", "version": 5}]})
        await session.execute(statement, {"rows": [
            {"version": 4, "id": 1, "name": "older"}, {"id": 2, "name": "b", "version": 6}]})
        found = {tuple(row) for row in await session.execute(
            text("SELECT id, name, version FROM reordered"))}

    assert found == {(1, "a", 5), (2, "b", 6)}


async def test_inserts_together_are_one_execution_whose_answer_reads_what_they_returned(
    sessions: Any,
) -> None:
    """`Together` with an answer: every insert a WITH query (`write_<name>`), then the
    caller's own, all in one execution, whatever the inserts hold (none here for `counts`);
    the answer sees what each insert returned (only the rows that went in)."""
    factory, _ = sessions
    together = Together(
        (("records", ignoring(RECORDS, returning=("id",))), ("counts", adding(COUNTS))),
        then=(("kept", "SELECT id FROM write_records WHERE id > :least"),),
        answer="SELECT id FROM kept ORDER BY id")
    async with factory.begin() as session:
        await ignoring(RECORDS).execute(session, [{"id": 1, "name": "a", "version": 1}])
    executed: list[str] = []
    async with batch_transaction(factory) as connection:
        connection.add_query_logger(lambda record: executed.append(record.query))
        kept = [row["id"] for row in await together.fetch(connection, {"records": [
            {"id": 1, "name": "again", "version": 2}, {"id": 2, "name": "b", "version": 1},
            {"id": 3, "name": "c", "version": 1}]}, least=2)]
    async with factory() as session:
        found = await _rows(session, RECORDS)

    assert kept == [3]
    assert found == {(1, "a", 1), (2, "b", 1), (3, "c", 1)}
    ours = [q for q in executed if "write_" in q]  # not asyncpg's own type look-ups
    assert len(ours) == 1 and ours[0].startswith("WITH write_records AS")
    assert "write_counts AS" in ours[0]  # one execution for both inserts and the answer


def test_queries_after_the_inserts_need_an_answer() -> None:
    with pytest.raises(ValueError, match="answer"):
        _ = Together((("records", ignoring(RECORDS)),), then=(("kept", "SELECT 1"),)).statement
