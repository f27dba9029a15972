"""Slots of one doctor never overlap; touching end to start is fine."""

from __future__ import annotations

import copy

import pytest

from allocator.domain.errors import InvalidRequest, SlotClosed, SlotOverlap
from allocator.domain.model import snapshot


@pytest.mark.parametrize(("start", "end"), [
    ("08:00", "11:00"),  # encloses the existing slot
    ("09:15", "09:45"),  # enclosed by it
    ("09:00", "10:00"),  # equal
    ("08:30", "09:30"),  # overlaps its start
    ("09:30", "10:30"),  # overlaps its end
    ("09:00", "09:30"),  # shares its start
    ("09:30", "10:00"),  # shares its end
], ids=["enclosing", "enclosed", "equal", "over-start", "over-end", "same-start", "same-end"])
def test_an_overlapping_slot_is_refused(clinic, start, end):
    clinic.open("09:00", "10:00")
    before = copy.deepcopy(clinic.schedule)

    with pytest.raises(SlotOverlap) as refused:
        clinic.open(start, end)

    assert refused.value.code == "slot_overlap"
    assert clinic.schedule == before


@pytest.mark.parametrize(("start", "end"), [("08:00", "09:00"), ("10:00", "11:00")],
                         ids=["ends-at-its-start", "starts-at-its-end"])
def test_a_slot_touching_another_end_to_start_is_fine(clinic, start, end):
    clinic.open("09:00", "10:00")

    slot = clinic.open(start, end)

    assert clinic.schedule.slots[slot.id] is slot


def test_the_same_hours_on_another_date_are_fine(clinic):
    clinic.open("09:00", "10:00", day=0)

    slot = clinic.open("09:00", "10:00", day=1)

    assert slot.id in clinic.schedule.slots


def test_another_doctor_may_hold_the_same_hours(clinic, make_clinic):
    make_clinic().open("09:00", "10:00")

    slot = clinic.open("09:00", "10:00")

    assert slot.id in clinic.schedule.slots


@pytest.mark.parametrize(("start", "end"), [("10:00", "10:00"), ("11:00", "10:00")],
                         ids=["empty", "backwards"])
def test_a_slot_must_end_after_it_starts(clinic, start, end):
    with pytest.raises(InvalidRequest) as refused:
        clinic.open(start, end)

    assert refused.value.code == "invalid_request"
    assert clinic.schedule.slots == {}


@pytest.mark.parametrize("capacity", [0, -1])
def test_a_slot_needs_at_least_one_place(clinic, capacity):
    with pytest.raises(InvalidRequest):
        clinic.open(capacity=capacity)

    assert clinic.schedule.slots == {}


def test_a_slot_already_over_cannot_be_opened(clinic):
    clinic.now = clinic.at("10:00")

    with pytest.raises(SlotClosed):
        clinic.open("09:00", "10:00")

    assert clinic.schedule.slots == {}


def test_opening_a_slot_is_recorded(clinic):
    slot = clinic.open()

    assert [(c.type, c.slots) for c in clinic.schedule.changes] == [
        ("slot.opened", [snapshot(slot)])]
