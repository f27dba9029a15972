"""The bench's CPU budget figures: a process's CPU over the decided rate, not the answered
one (a shed 503 is cheap and decides nothing), set against its budget."""

from __future__ import annotations

import math
import time

from opd_ops.bench import gauge
from opd_ops.bench.batching import items_per_message
from opd_ops.bench.report import BUDGET_US, budget_chart, budget_lines
from opd_ops.bench.resources import BACKGROUND, postgres_database


def _result(decided_rate: float, answered_rate: float, **cpu_percent: float) -> dict:
    return {"offered_rate": answered_rate, "achieved_rate": answered_rate,
            "decided_rate": decided_rate,
            "services": {name: {"cpu_percent": p, "rss_mb_last": 0.0}
                         for name, p in cpu_percent.items()}}


def test_cpu_per_booking_is_counted_over_the_decided_bookings_alone():
    shedding = _result(decided_rate=500, answered_rate=2000, gateway=40, allocator=25)

    lines = budget_lines([shedding])

    assert "| gateway | 400 | 800 |" in lines  # 40% of a core over 500 decided/s
    assert "| allocator | 400 | 500 |" in lines
    assert lines[-1] == f"| all of them | {sum(BUDGET_US.values()):,} | 1,300 |"


def test_the_budget_chart_is_drawn(tmp_path):
    path = tmp_path / "budget.png"

    budget_chart([_result(300, 300, gateway=30, allocator=40)], path)

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_items_per_message_are_read_between_two_readings_and_nan_without_messages():
    before = {"command": (10.0, 12.0), "reply": (5.0, 5.0)}
    after = {"command": (20.0, 52.0), "reply": (5.0, 5.0), "event": (2.0, 9.0)}

    means = items_per_message(before, after)

    assert means["command"] == 4.0  # 40 commands in 10 messages during the run
    assert means["event"] == 4.5  # none before the run
    assert math.isnan(means["reply"])  # no reply message during the run: no mean


def test_the_machine_gauge_counts_cpu_not_waiting(monkeypatch):
    """A run's gauge must not rise because the gauge waited (a busy machine's other
    processes): it reads how much CPU the same work takes, which is the machine's speed."""
    monkeypatch.setattr(gauge, "ROUNDS_A_BLOCK", 2)
    monkeypatch.setattr(gauge, "_work", lambda: time.sleep(0.01))  # waits, spends ~nothing

    assert gauge.machine_gauge_us() < 2_000  # wall time would say 10,000 us a unit


def test_the_machine_gauge_grows_with_the_cpu_the_work_takes(monkeypatch):
    monkeypatch.setattr(gauge, "BLOCKS", 3)
    monkeypatch.setattr(gauge, "ROUNDS_A_BLOCK", 5)
    one = gauge.machine_gauge_us()
    work = gauge._work
    monkeypatch.setattr(gauge, "_work", lambda: [work() for _ in range(4)])

    assert gauge.machine_gauge_us() > 2 * one  # four times the work, by CPU time


def test_a_postgres_process_is_laid_at_the_database_its_title_names():
    title = "postgres: 15/main: postgres bench_1a2b3c4d_queue_view 127.0.0.1(46288) idle"

    assert postgres_database(title, "bench_1a2b3c4d") == "queue_view"
    assert postgres_database(title, "bench_99999999") == "other"  # another namespace's
    assert postgres_database(title.replace("idle", "idle in transaction"),
                             "bench_1a2b3c4d") == "queue_view"
    assert postgres_database("postgres: 15/main: postgres bench_1a2b3c4d_access [local] "
                             "SELECT", "bench_1a2b3c4d") == "access"
    assert postgres_database("postgres: 15/main: walwriter ", "bench_1a2b3c4d") == BACKGROUND
    assert postgres_database("postgres: 15/main: autovacuum worker bench_1a2b3c4d_allocator",
                             "bench_1a2b3c4d") == BACKGROUND  # vacuum is the server's own


def test_postgresql_is_split_by_database_under_its_budget_row():
    result = {**_result(500, 500, postgresql=20),
              "postgresql_by_database": {"allocator": 12.5, "background": 2.5}}

    lines = budget_lines([result])

    at = lines.index("| postgresql | 330 | 400 |")
    assert lines[at + 1:at + 3] == ["| ... postgresql for allocator | | 250 |",
                                    "| ... postgresql for background | | 50 |"]
