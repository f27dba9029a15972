"""A small simulated day, through the public API of the four running services, agrees with
what analytics reports: `python -m opd_ops.simulate`, as `make simulate` runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]


@pytest.fixture(scope="module")
def day(system, infra, tmp_path_factory):
    """One compressed day: three doctors, seven hours of clinic in a few seconds."""
    out = tmp_path_factory.mktemp("simulation") / "check.json"
    run = subprocess.run(
        [sys.executable, "-m", "opd_ops.simulate",
         "--gateway", system["gateway"].url, "--queue-view", system["queue_view"].url,
         "--analytics", system["analytics"].url, "--notifier", system["notifier"].url,
         "--key", infra.admin_key,
         "--doctors", "3", "--specializations", "2", "--patients", "70", "--capacity", "4",
         "--emergencies", "3", "--day-in-seconds", "6", "--seed", "8",
         "--settle-seconds", "30", "--json", str(out)],
        capture_output=True, text=True, timeout=450)
    print(run.stdout[-12000:])
    report = json.loads(out.read_text()) if out.exists() else {"rows": []}
    return run, report, {row["label"]: row for row in report["rows"]}


def test_the_simulated_day_matches_analytics_and_exits_zero(day):
    run, report, _ = day

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert report["matched"]
    assert all(row["ok"] for row in report["rows"])


def test_the_day_had_bookings_consultations_cancellations_and_no_shows(day):
    _, _, rows = day
    statuses = {}
    for label, row in rows.items():
        if label.endswith("by status"):
            for status, n in row["reported"].items():
                statuses[status] = statuses.get(status, 0) + n

    assert rows["bookings (arrivals)"]["reported"] >= 50
    assert statuses["completed"] > 0
    assert statuses["cancelled"] > 0
    assert statuses["no_show"] > 0


def test_emergencies_and_the_moves_they_cause_are_counted_the_same_by_analytics(day):
    _, _, rows = day

    assert rows["emergencies"]["observed"] == rows["emergencies"]["reported"] == 3
    for label in ("overflows", "moves: emergency bump", "moves: doctor delay"):
        assert rows[label]["ok"], rows[label]


def test_every_wait_is_measured_on_the_same_tokens_as_analytics(day):
    _, _, rows = day
    waits = [row for label, row in rows.items() if label.startswith("wait ")]

    assert len(waits) == 8
    assert all(row["ok"] for row in waits)
    assert rows["wait consultation: tokens"]["reported"] > 0


def test_a_doctor_running_late_moves_todays_patients_to_tomorrow_as_analytics_counts(day):
    _, report, rows = day
    if any("skipped" in note for note in report["notes"]):
        pytest.skip(report["notes"][0])  # too close to midnight in the hospital's zone

    assert rows["moves: doctor delay"]["reported"] > 0
    assert rows["moves: doctor delay"]["ok"]
    assert rows["moves to a later day"]["ok"]


def test_the_report_counts_what_patients_were_told_per_kind(day):
    run, _, _ = day

    assert "Patients told (notifier)" in run.stdout
    for kind in ("near", "called", "moved", "cancelled"):
        assert f"│ {kind}" in run.stdout
