"""A round's write (write_round, migration 0015) plans its statements once per connection,
and never as a scan of a table, even when the plans are made on empty tables: a plan made
once is kept for the connection's life, and one that read a table whole would get dearer
as the tables grow (the regression `force_custom_plan` was set for). The statement it
replaced, one of CTEs, was planned on every call."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from allocator.adapters.batch_io import Writes, write_all
from allocator.adapters.driver_calls import DriverConnection
from allocator.adapters.orm import slots, tokens
from opd_shared.database import new_engine

NOW = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)
# The keys its statements find rows by: the partitions' lock, the doctors' seqs, the slots'
# and tokens' updates (a slot's id leads two unique indexes, either will do).
KEYS = {"partition_owners": ("pk_partition_owners",), "doctors": ("pk_doctors",),
        "slots": ("pk_slots", "uq_slots_id_doctor_id"), "tokens": ("pk_tokens",)}


@pytest.fixture
async def connection(sessions) -> AsyncIterator[AsyncConnection]:
    """A connection as the allocator's (its settings) on freshly migrated tables holding a
    partition and a doctor, whose statements' plans, nested ones included, come back as
    notices (auto_explain)."""
    engine = new_engine(sessions.kw["bind"].url.render_as_string(hide_password=False))
    async with engine.connect() as connection:
        await connection.execute(text(
            "INSERT INTO partition_owners VALUES (1, 7, 'test', now());"))
        await connection.execute(text(
            "INSERT INTO doctors (id, name, specialization, is_active, created_at,"
            " last_event_seq) VALUES (5, 'Dr. W', 'X', true, now(), 0)"))
        await connection.commit()
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice")
        yield connection
    await engine.dispose()


def _round(seq: int) -> Writes:
    """A round's writes with a row for each kind the round of a booking writes by key: its
    slot's counts, a token's overtaken count, a slot changed whole (ids no row has: the
    plans are what is looked at), the doctor's seq, the counter, the event and the reply."""
    writes = Writes(epochs={1: 7}, seqs=[(5, seq, seq + 1)],
                    counters=[(5, NOW.date(), seq + 1)],
                    events=[(1, "token.allocated", '{"n": 1}', NOW, None)],
                    replies=[(uuid.uuid4(), "f" * 64, '{"ok": true}', NOW)])
    rows = writes.records.rows
    rows["slots_counts"].append({"id": 10, "current_count": 1, "overflow_count": 0,
                                 "last_sequence": 1})
    rows["tokens_counts"].append({"id": 20, "overtaken_count": 1})
    rows["slots_changed"].append({
        "id": 11, "doctor_id": 5, "date": NOW.date(), "start_time": dt.time(9),
        "end_time": dt.time(10), "max_capacity": 5, "current_count": 0, "overflow_count": 0,
        "last_sequence": 0, "is_active": True})
    return writes


async def _plans(connection: AsyncConnection) -> list[str]:
    """The plans of the write's statements over two rounds, each a transaction."""
    raw = (await connection.get_raw_connection()).driver_connection
    notices: list[str] = []
    raw.add_log_listener(lambda _, message: notices.append(message.message))
    for seq in range(2):
        async with connection.begin():
            await connection.execute(text("SELECT 1"))  # BEGIN goes with a first statement
            await write_all(await DriverConnection.under(connection), _round(seq))
    await asyncio.sleep(0.1)  # notices arrive with the calls, handed over by the loop
    return [n for n in notices if any(f" {table} " in n for table in
                                      ("partition_owners", "doctors", "slots", "tokens"))]


async def test_a_rounds_write_is_planned_once_for_any_parameters(connection):
    plans = await _plans(connection)

    owners = [p for p in plans if "partition_owners" in p and "write_round" not in p]
    assert len(owners) == 2, plans  # the lock's statement, once a round
    # A generic plan: the parameters are `$n`, not this call's values.
    assert all("ANY ($" in plan for plan in owners), owners


async def test_a_rounds_write_reads_each_table_by_its_key_even_when_it_is_empty(connection):
    plans = "\n".join(await _plans(connection))

    assert "Seq Scan" not in plans
    for table, keys in KEYS.items():
        assert any(f"Index Scan using {key} on {table}" in plans
                   or f"Bitmap Index Scan on {key}" in plans for key in keys), (table, plans)


async def test_a_changed_slot_or_token_is_written_whole(sessions):
    """write_round names each column of a whole update (migration 0015): a column added to
    slots or tokens since must be named there too, or its changes would not be written."""
    async with sessions() as session:
        source = await session.scalar(text(
            "SELECT prosrc FROM pg_proc WHERE proname = 'write_round'"))

    assert source is not None
    for table in (slots, tokens):
        for column in table.columns:
            if not column.primary_key:
                assert f'"{column.name}" = u."{column.name}"' in source, (table, column)
