"""A sender with nothing due (most of its ticks) costs the database one statement and no
transaction: it polls twice a second in every notifier process, busy or not."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event as engine_events
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from notifier.sender import Sender

from .conftest import at


async def test_an_idle_tick_is_one_statement_outside_any_transaction(notifier) -> None:
    engine = create_async_engine(notifier.settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    long_ago = at("09:00", dt.date(2000, 1, 3))  # nothing is due yet
    sender = Sender(sessions, notifier.settings, {}, lambda: long_ago)
    statements: list[tuple[str, bool]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append((statement.split()[0], conn.connection.dbapi_connection.autocommit))

    engine_events.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await sender.poll_once() == 0
    finally:
        engine_events.remove(engine.sync_engine, "before_cursor_execute", seen)
        await engine.dispose()

    assert statements == [("SELECT", True)]  # autocommit: no BEGIN, no ROLLBACK
