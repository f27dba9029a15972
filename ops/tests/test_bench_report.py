"""The bench's CPU budget figures: a process's CPU over the decided rate, not the answered
one (a shed 503 is cheap and decides nothing), set against its budget."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections import namedtuple

import pytest

from opd_ops.bench import gauge
from opd_ops.bench.batching import items_per_message
from opd_ops.bench.report import BUDGET_US, budget_chart, budget_lines
from opd_ops.bench.resources import (
    BACKGROUND,
    SAMPLE_S,
    Sampler,
    machine_shares,
    postgres_database,
)


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


def test_the_machine_cpu_is_split_into_busy_idle_the_disk_and_what_the_host_took():
    fields = "user nice system idle iowait irq softirq steal guest guest_nice"
    times = namedtuple("scputimes", fields)  # psutil.cpu_times()'s, on Linux
    before = times(100, 50, 20, 300, 5, 0, 3, 1, 40, 0)
    # in one second of two cores: 0.6 s user (0.2 of it a guest's), 0.4 nice, 0.3 system,
    # 0.3 idle, 0.1 iowait, 0.1 softirq, 0.2 stolen
    after = times(100.6, 50.4, 20.3, 300.3, 5.1, 0, 3.1, 1.2, 40.2, 0)

    shares = machine_shares(before, after, cores=2)

    assert shares == pytest.approx({"busy": 140.0, "idle": 30.0, "iowait": 10.0, "stolen": 20.0})
    assert set(machine_shares(before, before, cores=2).values()) == {0.0}


def test_the_sampler_reads_the_machine_at_every_sample():
    with Sampler({}) as sampler:
        time.sleep(2.2 * SAMPLE_S)

    assert len(sampler.machine["busy"]) == len(sampler.sampled_at) >= 2
    for shares in zip(*sampler.machine.values(), strict=True):
        assert sum(shares) == pytest.approx(100.0 * sampler.cores, abs=0.5)
    summary = sampler.machine_summary()
    assert set(summary) == {"machine_idle_percent", "machine_iowait_percent",
                            "machine_stolen_percent"}
    assert 0.0 <= summary["machine_idle_percent"] <= 100.0


def test_a_process_watched_late_is_sampled_for_the_timeline_alone():
    with Sampler({}) as sampler:
        time.sleep(1.2 * SAMPLE_S)
        child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            sampler.watch("load generator", child.pid)
            time.sleep(3.2 * SAMPLE_S)
        finally:
            child.kill()
            child.wait()
        time.sleep(1.2 * SAMPLE_S)  # samples after it ended read it as idle

    series = sampler.watched_percent["load generator"]
    assert len(series) == len(sampler.sampled_at)  # zeros before it was watched
    assert series[0] == 0.0 and max(series) > 20.0  # a spinning process, on a busy machine too
    assert series[-1] == 0.0
    assert "load generator" not in sampler.summary()
