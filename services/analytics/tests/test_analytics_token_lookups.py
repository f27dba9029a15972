"""Reading the tokens a batch touches never scans the day's tokens (issue #13).

One select OR-ing three conditions took 0.71 ms a call on 6,000 tokens: once a prepared
statement runs on its generic plan (PostgreSQL's choice after five runs), statistics taken
when the table held one doctor's rows made it scan the whole table, a cost that grows with
the day's tokens. These tests make that situation on purpose, statistics from a small
table and the generic plan forced, and count the scans `load_state` makes of `tokens` in
its own transaction (pg_stat_xact_user_tables): not one sequential.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from analytics.state import load_state
from opd_contracts.vocabulary import Source

ZONE = ZoneInfo("Asia/Kolkata")
STALE, GROWN = 100, 5000  # tokens when the statistics were taken, and since
FIRST = 10_000_000  # their ids, above those the tests' histories give
_TOKENS = text(
    "INSERT INTO tokens (id, token_number, doctor_id, slot_id, source, status, priority_score,"
    " is_emergency, is_overflow, allocated_at, version, day)"
    " SELECT CAST(:base AS bigint) + g, 'T-' || g, CAST(:doctor AS bigint) + g % :doctors,"
    " CAST(:slot AS bigint) + g % :doctors, 'walk_in', 'allocated',"
    " 0, false, false, now(), 1, CASE WHEN g % 50 = 0 THEN NULL ELSE DATE '2026-01-30' END"
    " FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g")
_SCANS = text("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables"
              " WHERE relname = 'tokens'")


async def _statistics_of_a_small_table(sessions: Any, doctor: int, slot: int) -> None:
    """One doctor's tokens, analysed; then many doctors' more, not analysed yet."""
    async with sessions.begin() as session:
        await session.execute(_TOKENS, {"doctor": doctor, "slot": slot, "doctors": 1,
                                        "first": 1, "last": STALE, "base": FIRST})
    async with sessions.begin() as session:
        await session.execute(text("ANALYZE tokens"))
    async with sessions.begin() as session:
        await session.execute(_TOKENS, {"doctor": doctor, "slot": slot, "doctors": 50,
                                        "first": STALE + 1, "last": STALE + GROWN,
                                        "base": FIRST})


async def _scans_while_loading(sessions: Any, events: list[Any]) -> tuple[int, int, Any]:
    """Sequential and index scans of `tokens` that loading the events' state made, on the
    generic plans of its prepared statements, and the state."""
    async with sessions.begin() as session:
        await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        before = (await session.execute(_SCANS)).one()
        driver = (await (await session.connection()).get_raw_connection()).driver_connection
        state = await load_state(driver, events, ZONE)  # in the session's transaction
        after = (await session.execute(_SCANS)).one()
    return after.seq_scan - before.seq_scan, after.idx_scan - before.idx_scan, state


async def test_a_booking_reads_its_tokens_by_index_whatever_the_statistics_say(
    sessions: Any, history: Any
) -> None:
    doctor = history()
    await _statistics_of_a_small_table(sessions, doctor.doctor_id, 900_000)
    slot = doctor.slot(dt.date(2026, 1, 30), 10)
    booked = doctor.token(slot, Source.WALK_IN)
    again = doctor.token(slot, Source.ONLINE, id=FIRST + 7)  # a token the table holds

    sequential, by_index, state = await _scans_while_loading(
        sessions, [doctor.allocated(booked, slot), doctor.allocated(again, slot)])

    assert sequential == 0 and by_index > 0
    assert set(state.tokens.before) == {FIRST + 7}


async def test_a_slot_s_first_event_finds_the_tokens_waiting_for_it_by_index(
    sessions: Any, history: Any
) -> None:
    doctor = history()
    await _statistics_of_a_small_table(sessions, doctor.doctor_id, 900_000)
    slot = doctor.slot(dt.date(2026, 1, 30), 10)
    slot = slot.model_copy(update={"id": 900_000})  # the slot the waiting tokens name

    sequential, by_index, state = await _scans_while_loading(sessions, [doctor.opened(slot)])

    waiting = {row["id"] for row in state.tokens.before.values() if row["day"] is None}
    assert sequential == 0 and by_index > 0
    assert waiting == {FIRST + g for g in range(50, STALE + GROWN + 1, 50)}  # every 50th
