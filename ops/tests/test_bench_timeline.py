"""A run half a second at a time: answers binned by when they were due, a rate's timeline
taken from its median run, and the spells named in BENCHMARKS.md's words and chart."""

from __future__ import annotations

import math

from opd_ops.bench.report import COLUMNS, median_of, timeline_lines
from opd_ops.bench.timeline import timeline_chart, windows


def test_answers_are_binned_by_when_they_were_due_not_when_they_came():
    answers = [(0.1, 900.0, 201),  # due in the first window, answered in the third
               *((0.2, 10.0, 201) for _ in range(99)),
               (1.2, 20.0, 503), (1.3, 30.0, 201)]

    rows = windows(answers)

    assert [row["start_s"] for row in rows] == [0.0, 0.5, 1.0]
    assert rows[0]["answers"] == 100 and rows[0]["p99_ms"] == 900.0
    assert rows[1]["answers"] == 0 and math.isnan(rows[1]["p99_ms"])  # nothing was due
    assert rows[2] == {"start_s": 1.0, "answers": 2, "p99_ms": 30.0, "shed": 1}


def _run(p99_ms: float, slow_at: float) -> dict:
    fast = [(slow_at + 0.5 + i / 1000, 20.0, 201) for i in range(400)]
    slow = [(slow_at + i / 1000, 300.0, 503 if i % 2 else 201) for i in range(400)]
    return {**{key: 0.0 for _, key, _ in COLUMNS}, "p99_ms": p99_ms, "offered_rate": 1000.0,
            "services": {},
            "timeline": {"windows": windows(slow + fast), "cpu_at_s": [0.5, 1.0],
                         "cpu": {"gateway": [40.0, 45.0]}, "cores": 2,
                         "machine": {"busy": [150.0, 170.0], "idle": [46.0, 29.0],
                                     "iowait": [0.0, 0.0], "stolen": [4.0, 1.0]}}}


def test_a_rate_keeps_the_timeline_of_its_median_run():
    runs = [_run(300.0, slow_at=0.0), _run(100.0, slow_at=1.0), _run(200.0, slow_at=2.0)]

    kept = median_of(runs)["timeline"]

    assert kept is runs[2]["timeline"]


def test_benchmarks_names_the_slow_half_seconds_and_the_refusals():
    result = median_of([_run(150.0, slow_at=2.0)])

    words = " ".join(timeline_lines([result]))

    assert "1 of 6 half-seconds had a p99 over 100 ms (the slowest: 2.0 s, 300 ms, 200 shed)" \
        in words
    assert "200 requests were shed" in words
    assert "docs/images/bench-timeline.png" in words


def test_a_sweep_without_the_target_rate_shows_no_timeline():
    result = {**median_of([_run(150.0, slow_at=0.0)]), "offered_rate": 300.0}

    assert timeline_lines([result]) == []


def test_the_timeline_chart_is_drawn(tmp_path):
    path = tmp_path / "timeline.png"

    timeline_chart(_run(100.0, slow_at=0.0)["timeline"], "a run", path)

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_of_many_slow_half_seconds_the_five_slowest_are_named_slowest_first():
    rows = [{"start_s": i / 2, "answers": 500, "p99_ms": 110.0 + 10 * (i % 7), "shed": 0}
            for i in range(14)]
    result = {**median_of([_run(150.0, slow_at=0.0)]),
              "timeline": {"windows": rows, "cpu_at_s": [], "cpu": {}}}

    words = " ".join(timeline_lines([result]))

    assert "14 of 14 half-seconds" in words
    assert "(the slowest: 3.0 s, 170 ms; 6.5 s, 170 ms; 2.5 s, 160 ms; 6.0 s, 160 ms; " \
           "2.0 s, 150 ms)" in words


def test_benchmarks_says_how_much_of_the_machine_stood_idle_the_disk_and_the_host_held():
    result = median_of([_run(150.0, slow_at=2.0)])
    # over the two samples, of one core: idle 25.5, iowait 16, stolen 14.5; of two, half that
    result["timeline"]["machine"].update(idle=[46.0, 5.0], iowait=[30.0, 2.0], stolen=[4.0, 25.0])

    words = " ".join(timeline_lines([result]))

    assert ("the machine stood idle 12.8 % of the time, waited for the disk 8.0 % and the "
            "host took 7.2 % of its 2 cores; a half-second held 10 % of a core or more: by "
            "the disk 1, by the host 1 of 2") in words


def test_a_timeline_of_before_the_machine_was_read_names_no_host():
    result = median_of([_run(150.0, slow_at=2.0)])
    del result["timeline"]["machine"]

    words = " ".join(timeline_lines([result]))

    assert "half-seconds had a p99" in words and "the host took" not in words
