"""The round's write statement goes straight to asyncpg (adapters/driver_calls.py), yet is
what it was through the session: in the round's transaction, traced as a statement, and,
when the connection closed under it, a failure to retry rather than the commands' fault."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from allocator.adapters.driver_calls import DriverConnection
from opd_shared import driver_statement
from opd_shared.database import is_transient
from opd_shared.driver_statement import DriverStatement

ECHO = DriverStatement.of(text("SELECT CAST(:name AS text)"))
DIVIDE = DriverStatement.of(text("SELECT 1 / CAST(:zero AS integer)"))


@pytest.fixture
async def connection(desk) -> AsyncIterator[AsyncConnection]:
    async with desk.engine.connect() as connection:
        yield connection


async def _driver(connection: AsyncConnection) -> DriverConnection:
    return await DriverConnection.under(connection)


async def test_a_statement_on_a_connection_that_closed_under_the_round_is_retried(connection):
    await connection.begin()
    await connection.execute(text("SELECT 1"))  # the round's start, through the session
    driver = await _driver(connection)
    driver.connection.terminate()  # as a restart of the database leaves it, once noticed

    with pytest.raises(DBAPIError) as failed:
        await driver.fetch_value(ECHO, {"name": "Asha Rao"})

    assert is_transient(failed.value)  # as through the session: tried again, on a new one
    assert connection.invalidated  # the pool never hands the closed one out again


async def test_a_round_begun_on_a_connection_that_closed_is_retried(connection):
    await connection.begin()
    driver = await _driver(connection)
    driver.connection.terminate()

    with pytest.raises(DBAPIError) as failed:
        await driver.begin()

    assert is_transient(failed.value)
    assert connection.invalidated


async def test_begin_starts_the_transaction_the_session_commits(desk, connection):
    await connection.begin()
    driver = await _driver(connection)
    await driver.begin()
    await driver.fetch(DriverStatement.of(text(
        "CREATE TABLE begun (n integer)")), {})  # nothing else on this connection since

    await connection.rollback()

    async with desk.engine.connect() as other:
        assert await other.scalar(text("SELECT to_regclass('begun')")) is None


async def test_an_error_of_the_statement_is_raised_as_the_session_raises_it(desk):
    """An over-allocation the CHECK refuses is an IntegrityError either way (the round then
    decides each command alone); the statement's own error is not transient."""
    over = "INSERT INTO counts VALUES (6)"
    raised = {}
    for way in ("session", "driver"):
        async with desk.engine.connect() as connection:
            await connection.begin()
            await connection.execute(text(
                "CREATE TEMP TABLE counts (n integer CHECK (n <= 5)) ON COMMIT DROP"))
            with pytest.raises(DBAPIError) as failed:
                if way == "session":
                    await connection.execute(text(over))
                else:
                    await (await _driver(connection)).fetch_value(
                        DriverStatement.of(text(over)), {})
            raised[way] = failed.value
    assert type(raised["driver"]) is type(raised["session"]) is IntegrityError
    assert type(raised["driver"].orig) is type(raised["session"].orig)
    assert not is_transient(raised["driver"])


async def test_a_statement_outside_a_transaction_is_refused(connection):
    await connection.begin()  # the session's connection sends BEGIN with its first statement
    driver = await _driver(connection)

    with pytest.raises(RuntimeError):
        await driver.fetch_value(ECHO, {"name": "x"})


async def test_a_statement_meant_to_commit_alone_is_refused_inside_a_transaction(connection):
    await connection.begin()
    driver = await _driver(connection)
    await driver.begin()

    with pytest.raises(RuntimeError):
        await driver.fetch_alone(ECHO, {"name": "x"})


async def test_a_statement_alone_commits_without_the_session(desk, connection):
    driver = await _driver(connection)

    await driver.fetch_alone(DriverStatement.of(text(
        "INSERT INTO partition_owners VALUES (CAST(:p AS integer), 1, 'alone', now())")),
        {"p": 9_001})

    assert not driver.connection.is_in_transaction()
    assert await desk.sql("SELECT owner FROM partition_owners WHERE partition = 9001") == "alone"


async def test_the_statement_is_a_span_of_the_current_trace_without_its_parameters(
        connection, monkeypatch):
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    monkeypatch.setattr(driver_statement, "_tracer", provider.get_tracer("test"))
    monkeypatch.setattr(driver_statement, "tracing_enabled", lambda: True)
    await connection.begin()
    await connection.execute(text("SELECT 1"))
    driver = await _driver(connection)

    with provider.get_tracer("test").start_as_current_span("decide book_token") as decision:
        assert await driver.fetch_value(ECHO, {"name": "Asha Rao"}) == "Asha Rao"
        with pytest.raises(DBAPIError):
            await driver.fetch_value(DIVIDE, {"zero": 0})

    echo, divide, _ = spans.get_finished_spans()
    assert echo.name == f"SELECT {connection.engine.url.database}"
    assert echo.kind is SpanKind.CLIENT
    assert echo.parent is not None
    assert echo.parent.span_id == decision.get_span_context().span_id
    assert echo.attributes is not None
    assert echo.attributes["db.statement"] == ECHO.sql
    assert "Asha" not in str(echo.attributes)
    assert divide.status.status_code is StatusCode.ERROR
