"""What a part of decide_bench costs beside the bench process's own CPU: PostgreSQL's CPU,
the time its statements ran, and the records the rounds wrote, per booking.

Why: a round's cost is on both sides of the connection, and the allocator's write statement
was the dearest statement of the whole system's PostgreSQL (0.68 ms a call in the system
bench at 300 bookings/s). The bench process's CPU alone hides what a change moves from one
side to the other.

- PostgreSQL's CPU: user and system time of the bench database's backends (read from /proc
  with psutil: the server runs on this machine), the meter's own connection excluded. A
  backend that ends during a part takes its CPU with it: the bench keeps its connections.
- Statements: pg_stat_statements of the bench database (execution and planning time, which
  is wall time inside the server), the two dearest named with how often they were planned
  (the bench database tracks planning). Left out, and said so, on a server that does not
  preload the extension (it cannot be loaded for one database).
- Records: the rows of each kind the round's write statement was handed
  (adapters/record_writes), counted by wrapping `write_all` where the unit of work calls it;
  the wrapper also sums this process's CPU inside those calls (the arrays' encoding, the
  round trip's sends and receipt: other tasks may run meanwhile, in rounds of 1 few do).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from allocator.adapters import unit_of_work

__all__ = ["RoundMeter"]

_BACKENDS = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                 " AND pid <> pg_backend_pid()")
_STATEMENTS = text(
    "SELECT queryid, left(regexp_replace(query, '\\s+', ' ', 'g'), 40) AS query, calls, plans,"
    " total_exec_time + total_plan_time AS ms FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")


def _cpu(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


@dataclass
class _Snapshot:
    process: float
    backends: dict[int, float]
    statements: dict[int, tuple[str, int, int, float]]
    rows: Counter[str]
    rounds: int
    writing: float


@dataclass
class RoundMeter:
    engine: AsyncEngine
    rows: Counter[str] = field(default_factory=Counter)
    rounds: int = 0
    writing: float = 0.0  # this process's CPU inside the write statement's calls
    statements: bool = False  # whether the server keeps pg_stat_statements
    _start: _Snapshot | None = None

    async def install(self) -> None:
        """Before the bench's first connection: the planning setting holds for connections
        opened after it (of the bench's own database only)."""
        async with self.engine.begin() as conn:
            preloaded = await conn.scalar(text("SHOW shared_preload_libraries"))
            self.statements = "pg_stat_statements" in preloaded
            if self.statements:
                await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
                name = await conn.scalar(text("SELECT current_database()"))
                await conn.execute(text(
                    f'ALTER DATABASE "{name}" SET pg_stat_statements.track_planning = on'))
        await self.engine.dispose()
        written = unit_of_work.write_all

        async def counted(session: Any, writes: Any, **options: Any) -> None:
            self.rounds += 1
            self.rows.update({kind: len(rows) for kind, rows in writes.records.rows.items()})
            cpu = time.process_time()
            await written(session, writes, **options)
            self.writing += time.process_time() - cpu

        unit_of_work.write_all = counted  # type: ignore[assignment]

    async def _snapshot(self) -> _Snapshot:
        async with self.engine.connect() as conn:
            pids = [pid for (pid,) in await conn.execute(_BACKENDS)]
            statements = {row.queryid: (row.query, row.calls, row.plans, row.ms)
                          for row in await conn.execute(_STATEMENTS)} if self.statements else {}
        return _Snapshot(time.process_time(), {pid: _cpu(pid) for pid in pids}, statements,
                         Counter(self.rows), self.rounds, self.writing)

    async def start(self) -> None:
        self._start = await self._snapshot()

    async def stop(self, bookings: int) -> str:
        """The figures per booking since `start`."""
        end, start = await self._snapshot(), self._start
        assert start is not None, "start() first"
        own = (end.process - start.process) * 1e6 / bookings
        server = sum(cpu - start.backends.get(pid, 0.0) for pid, cpu in end.backends.items())
        spent = []
        for key, (query, calls, plans, ms) in end.statements.items():
            _, calls_before, plans_before, ms_before = start.statements.get(
                key, (query, 0, 0, 0.0))
            spent.append((ms - ms_before, calls - calls_before, plans - plans_before, query))
        spent.sort(reverse=True)
        rounds = end.rounds - start.rounds
        rows = ", ".join(f"{kind} {(end.rows[kind] - start.rows[kind]) / bookings:.1f}"
                         for kind in sorted(end.rows) if end.rows[kind] > start.rows[kind])
        dearest = "; ".join(f"{ms * 1000 / bookings:.0f} us in {calls} x '{query}'"
                            f" ({plans} planned)" for ms, calls, plans, query in spent[:2]
                            ) if self.statements else "pg_stat_statements not preloaded"
        writing = (end.writing - start.writing) * 1e6 / bookings
        return (f"  allocator {own:.0f} us CPU a booking ({writing:.0f} in the write"
                f" statement's calls), PostgreSQL {server * 1e6 / bookings:.0f}"
                f" us CPU (statements {sum(s[0] for s in spent) * 1000 / bookings:.0f} us:"
                f" {dearest}); {bookings / max(rounds, 1):.1f} bookings a round; records"
                f" written a booking: {rows}")
