"""Estimated waits and the display cursor, as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_view.display.cursor import Cursor
from queue_view.waits import Pace, consultation_minutes, pace_of, planned_minutes, wait_minutes

DAY = dt.date(2030, 1, 15)


def _at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2030, 1, 15, hour, minute, tzinfo=dt.UTC)


def test_planned_pace_is_the_slot_length_shared_among_its_places() -> None:
    assert planned_minutes(dt.time(9), dt.time(10), 12) == 5.0
    assert planned_minutes(dt.time(14, 30), dt.time(15), 4) == 7.5


def test_measured_pace_is_the_median_of_finished_consultations_of_a_minute_or_more() -> None:
    spans = [(_at(9, 0), _at(9, 8)), (_at(9, 8), _at(9, 40)), (_at(9, 40), _at(9, 46)),
             (_at(9, 46), None), (None, _at(10, 0)), (_at(10, 0), _at(10, 0))]

    pace = pace_of(5.0, consultation_minutes(spans))

    assert pace == Pace(8.0, "measured")


def test_without_finished_consultations_the_pace_stays_planned() -> None:
    assert pace_of(7.5, consultation_minutes([(_at(9, 0), None)])) == Pace(7.5, "planned")


@pytest.mark.parametrize(("ahead", "pace", "minutes"),
                         [(0, 7.5, 0), (1, 6.2, 7), (2, 7.5, 15), (3, 5.0000001, 15)])
def test_a_wait_is_the_tokens_ahead_times_the_pace_rounded_up(
    ahead: int, pace: float, minutes: int
) -> None:
    assert wait_minutes(ahead, Pace(pace, "planned")) == minutes


def test_a_cursor_survives_the_round_trip_and_names_what_changed() -> None:
    shown = Cursor(DAY, {12: 40, 13: 22})

    again = Cursor.decode(shown.encode(), DAY)

    assert again == shown
    assert again.stale([12, 13, 14], {12: 41, 13: 22, 14: 1}) == [12, 14]
    assert again.advanced([12, 14], [14], {14: 1}).counts == {12: 40, 14: 1}


@pytest.mark.parametrize("raw", [None, "", "garbage", "20300115:12.x", "20300116:12.40"])
def test_a_cursor_that_is_malformed_or_of_another_day_starts_afresh(raw: str | None) -> None:
    assert Cursor.decode(raw, DAY) == Cursor(DAY)


def test_after_a_rebuild_a_lower_count_is_a_change_too() -> None:
    assert Cursor(DAY, {12: 40}).stale([12], {12: 3}) == [12]
