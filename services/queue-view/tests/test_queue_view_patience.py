"""Which database failures mean "not now" and are waited out, with errors raised by the
real PostgreSQL (no broker)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from opd_contracts import EventType
from opd_shared.database import is_transient
from opd_shared.patience import apply_patiently


async def _closed_port(engine: AsyncEngine) -> None:
    lost = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with lost.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await lost.dispose()


async def _terminated_mid_query(engine: AsyncEngine) -> None:
    """What a restart or `pg_terminate_backend` does to a transaction under way."""
    async with engine.connect() as killer, engine.connect() as victim:
        pid = await victim.scalar(text("SELECT pg_backend_pid()"))
        query = asyncio.create_task(victim.execute(text("SELECT pg_sleep(5)")))
        await asyncio.sleep(0.2)
        await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await query


async def _deadlock(engine: AsyncEngine) -> None:
    """Two transactions each waiting for the other's lock: PostgreSQL fails one (40P01)."""
    async with engine.connect() as first, engine.connect() as second:
        await first.execute(text("SELECT pg_advisory_xact_lock(1)"))
        await second.execute(text("SELECT pg_advisory_xact_lock(2)"))
        waits = {asyncio.create_task(first.execute(text("SELECT pg_advisory_xact_lock(2)"))):
                 first,
                 asyncio.create_task(second.execute(text("SELECT pg_advisory_xact_lock(1)"))):
                 second}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_EXCEPTION)
        # The survivor may already be through as well (the victim's transaction can end
        # before we look), so the victim is the task that failed, not just the first done.
        victim = next(task for task in done if task.exception() is not None)
        await waits[victim].rollback()  # frees its lock, so the other one gets through
        await asyncio.gather(*pending)
        victim.result()


async def _bigint_overflow(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT CAST(:n AS bigint)"), {"n": 2**63})


async def _nul_in_text(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT CAST(:s AS text)"), {"s": "a\x00b"})


@pytest.mark.parametrize(("cause", "transient"), [
    (_closed_port, True), (_terminated_mid_query, True), (_deadlock, True),
    (_bigint_overflow, False), (_nul_in_text, False),
])
async def test_an_outage_is_transient_and_a_refused_statement_is_not(
    sessions, cause: Callable[[AsyncEngine], Awaitable[None]], transient: bool
) -> None:
    engine = sessions.kw["bind"]
    with pytest.raises(Exception) as raised:
        await cause(engine)

    assert is_transient(raised.value) is transient, repr(raised.value)


async def test_an_unavailable_database_is_waited_for_with_growing_pauses(
    events, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="opd_shared.patience")
    outcomes: list[Exception | bool] = [ConnectionRefusedError(), TimeoutError(),
                                        ConnectionResetError(), True]

    async def apply() -> bool:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    event = events.event(EventType.SLOT_OPENED, slots=[events.slot()])

    applied = await apply_patiently(apply, f"event {event.event_id}", 0.002, is_transient,
                                    first_pause=0.001)

    assert (applied, outcomes) == (True, [])
    assert [record.args[-1] for record in caplog.records] == [0.001, 0.002, 0.002]


async def test_a_database_that_refuses_the_event_is_not_retried(events) -> None:
    calls = 0
    event = events.event(EventType.SLOT_OPENED, slots=[events.slot()])

    async def apply() -> bool:
        nonlocal calls
        calls += 1
        raise IntegrityError("INSERT", {}, Exception("refused"))

    with pytest.raises(IntegrityError):
        await apply_patiently(apply, f"event {event.event_id}", 0.01, is_transient)

    assert calls == 1

