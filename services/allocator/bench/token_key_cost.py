"""What PostgreSQL's backend spends inserting tokens, with tokens' foreign keys as before
migration 0011 (one to slots, one to doctors) and after it (one, to slots' id and doctor).

`uv run python services/allocator/bench/token_key_cost.py [--calls 500 --rows 28 --pairs 4]`

Two fresh databases (`bench_<hex>_allocator` on OPD_POSTGRES_URL), one migrated to 0010,
one to head, dropped afterwards. Each run inserts `--calls` statements of `--rows` tokens
(a round of 28 bookings, decide_bench's concurrent part) on a connection set as the
allocator's (`force_custom_plan`: each foreign key's check is planned for every row), in
one transaction rolled back at its end; the figure is that backend's CPU (/proc: the
server runs on this machine) a token. Runs alternate between the two schemas, `--pairs`
each; medians printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid

from sqlalchemy import text

from allocator.main import MIGRATIONS
from allocator.settings import AllocatorSettings
from opd_shared.database import drop_database, migrate, new_engine

DOCTORS, SLOTS_A_DOCTOR = 64, 4
SETUP = """
INSERT INTO doctors (id, name, specialization, is_active, created_at, last_event_seq)
SELECT d, 'D', 'S', true, now(), 0 FROM generate_series(1, {doctors}) AS d;
INSERT INTO slots (id, doctor_id, date, start_time, end_time, max_capacity, current_count,
                   overflow_count, last_sequence, is_active)
SELECT s, (s - 1) % {doctors} + 1, current_date, time '09:00', time '10:00', 1000000, 0, 0, 0,
       true FROM generate_series(1, {slots}) AS s
"""
# `rows` tokens from `first` on, each to a slot of its own doctor.
INSERT = text("""
INSERT INTO tokens (id, token_number, patient_name, doctor_id, slot_id, source, status,
                    priority_score, sequence_number, is_emergency, is_overflow, allocated_at)
SELECT t, 'T-' || t, 'P', (t % :slots) % :doctors + 1, t % :slots + 1, 'online', 'allocated',
       0, t, false, false, now()
FROM generate_series(CAST(:first AS bigint), CAST(:first AS bigint) + :rows - 1) AS t
""")


def _backend_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime: clock ticks


async def _prepared(revision: str) -> str:
    url = AllocatorSettings(namespace=f"bench_{uuid.uuid4().hex[:8]}").database_url
    await migrate(url, MIGRATIONS, revision)
    engine = new_engine(url)
    async with engine.begin() as connection:
        for statement in SETUP.format(doctors=DOCTORS, slots=DOCTORS * SLOTS_A_DOCTOR
                                      ).split(";"):
            await connection.execute(text(statement))
    await engine.dispose()
    return url


async def _run(url: str, calls: int, rows: int) -> float:
    """Microseconds of the backend's CPU a token inserted."""
    engine = new_engine(url)
    async with engine.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        before = _backend_cpu_s(pid)
        for call in range(calls):
            await connection.execute(INSERT, {"first": call * rows + 1, "rows": rows,
                                              "slots": DOCTORS * SLOTS_A_DOCTOR,
                                              "doctors": DOCTORS})
        spent = _backend_cpu_s(pid) - before
        await connection.rollback()
    await engine.dispose()
    return spent / (calls * rows) * 1e6


async def main(calls: int, rows: int, pairs: int) -> None:
    urls = {"two keys (0010)": await _prepared("0010"), "one key (head)": await _prepared("head")}
    spent: dict[str, list[float]] = {name: [] for name in urls}
    try:
        for _ in range(pairs):
            for name, url in urls.items():
                spent[name].append(await _run(url, calls, rows))
    finally:
        for url in urls.values():
            await drop_database(url)
    for name, figures in spent.items():
        print(f"{name}: backend {statistics.median(figures):.1f} us CPU a token "
              f"({', '.join(f'{f:.1f}' for f in figures)}; {calls} calls of {rows} tokens)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rows", type=int, default=28)
    parser.add_argument("--pairs", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.rows, arguments.pairs))
