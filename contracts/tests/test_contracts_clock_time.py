"""A slot's times go on the wire as HH:MM, exactly as `strftime("%H:%M")` wrote them, for
every time a record can hold: whole minutes, seconds, microseconds, an offset, a fold."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opd_contracts.records import SlotRecord

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
TIMES = [dt.time(0, 0), dt.time(9, 0), dt.time(23, 59), dt.time(9, 5, 7),
         dt.time(9, 5, 7, 123456), dt.time(9, 5, 0, 1), dt.time(9, 30, tzinfo=dt.UTC),
         dt.time(9, 30, 59, 999999, tzinfo=IST), dt.time(1, 30, fold=1),
         dt.time(12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30)))]


def _slot(start: dt.time, end: dt.time) -> SlotRecord:
    return SlotRecord(id=1, doctor_id=2, date=dt.date(2026, 1, 30), start_time=start,
                      end_time=end, max_capacity=20, current_count=3)


@pytest.mark.parametrize("time", TIMES, ids=str)
def test_a_time_goes_on_the_wire_as_strftime_wrote_it(time):
    wire = json.loads(_slot(time, time).model_dump_json())

    assert wire["start_time"] == wire["end_time"] == time.strftime("%H:%M")


@pytest.mark.parametrize("time", TIMES, ids=str)
def test_a_time_dumps_as_hh_mm_in_python_mode_too(time):
    dumped = _slot(time, time).model_dump()

    assert dumped["start_time"] == time.strftime("%H:%M")


def test_what_the_wire_carries_reads_back_as_the_same_minute():
    slot = _slot(dt.time(9, 5, 7), dt.time(10, 0))

    again = SlotRecord.model_validate_json(slot.model_dump_json())

    assert (again.start_time, again.end_time) == (dt.time(9, 5), dt.time(10, 0))
