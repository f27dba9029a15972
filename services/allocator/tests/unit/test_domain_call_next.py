"""Call next: the consultation in progress ends, and the head of the queue is called in."""

from __future__ import annotations

import copy

import pytest

from allocator.domain.errors import NotFound
from opd_contracts.vocabulary import Source, TokenStatus


def test_the_head_of_the_queue_is_checked_in_and_called_into_consultation(clinic):
    slot = clinic.open(capacity=3)
    clinic.book(slot, Source.WALK_IN)
    vip = clinic.book(slot, Source.PRIORITY)

    called = clinic.schedule.call_next(slot.id, clinic.at("09:00"))

    assert called is vip
    assert vip.status is TokenStatus.CONSULTING
    assert vip.checked_in_at == vip.consultation_started_at == clinic.at("09:00")


def test_the_open_consultation_is_completed_before_the_next_is_called(clinic):
    slot = clinic.open(capacity=3)
    first, second = clinic.book(slot), clinic.book(slot)
    clinic.schedule.call_next(slot.id, clinic.at("09:00"))

    called = clinic.schedule.call_next(slot.id, clinic.at("09:20"))

    assert called is second
    assert first.status is TokenStatus.COMPLETED
    assert first.completed_at == clinic.at("09:20")
    assert slot.current_count == 2  # a seen patient keeps the place they used


def test_an_emergency_is_called_before_patients_who_came_earlier(clinic):
    slot = clinic.open(capacity=3)
    clinic.walk(clinic.book(slot, Source.PRIORITY), TokenStatus.CHECKED_IN)
    emergency = clinic.book(slot, Source.WALK_IN, emergency=True)

    called = clinic.schedule.call_next(slot.id, clinic.at("09:00"))

    assert called is emergency


def test_without_a_slot_the_earliest_of_todays_slots_goes_first(clinic):
    morning, noon = clinic.open("09:00", "10:00"), clinic.open("12:00", "13:00")
    tomorrow = clinic.open("08:00", "09:00", day=1)
    clinic.book(tomorrow, Source.PRIORITY)
    clinic.book(noon, Source.PRIORITY)
    walk_in = clinic.book(morning, Source.WALK_IN)

    called = clinic.schedule.call_next(None, clinic.at("09:00"))

    assert called is walk_in


def test_without_a_slot_only_todays_patients_are_called(clinic):
    clinic.book(clinic.open(day=1))

    with pytest.raises(NotFound):
        clinic.schedule.call_next(None, clinic.at("09:00"))


def test_nobody_waiting_is_not_found_and_the_consultation_goes_on(clinic):
    slot = clinic.open()
    patient = clinic.book(slot)
    clinic.schedule.call_next(slot.id, clinic.at("09:00"))
    before = copy.deepcopy(clinic.schedule)

    with pytest.raises(NotFound) as refused:
        clinic.schedule.call_next(slot.id, clinic.at("09:30"))

    assert refused.value.code == "not_found"
    assert patient.status is TokenStatus.CONSULTING
    assert clinic.schedule == before


def test_cancelled_and_no_show_patients_are_skipped(clinic):
    slot = clinic.open(capacity=3)
    clinic.walk(clinic.book(slot, Source.PRIORITY), TokenStatus.CANCELLED)
    clinic.walk(clinic.book(slot, Source.FOLLOW_UP), TokenStatus.NO_SHOW)
    walk_in = clinic.book(slot, Source.WALK_IN)

    called = clinic.schedule.call_next(slot.id, clinic.at("09:00"))

    assert called is walk_in


def test_each_step_is_recorded_as_a_status_change(clinic):
    slot = clinic.open()
    clinic.book(slot)
    clinic.book(slot)
    clinic.schedule.call_next(slot.id, clinic.at("09:00"))
    clinic.schedule.changes.clear()

    clinic.schedule.call_next(slot.id, clinic.at("09:20"))

    assert [(c.type, c.previous_status) for c in clinic.schedule.changes] == [
        ("token.status_changed", TokenStatus.CONSULTING),
        ("token.status_changed", TokenStatus.ALLOCATED),
        ("token.status_changed", TokenStatus.CHECKED_IN),
    ]


def test_each_step_of_call_next_is_recorded_with_the_token_as_it_was_then(clinic):
    slot = clinic.open(day=0, start="08:00", end="12:00")
    token = clinic.book(slot)
    clinic.schedule.changes.clear()

    clinic.schedule.call_next(slot.id, clinic.now)

    statuses = [(c.previous_status, c.tokens[0]["status"]) for c in clinic.schedule.changes]
    assert statuses == [("allocated", "checked_in"), ("checked_in", "consulting")]
    assert token.status == "consulting"
