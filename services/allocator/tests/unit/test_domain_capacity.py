"""No over-allocation: a slot gives out at most `max_capacity` places, and only while open."""

from __future__ import annotations

import copy

import pytest

from allocator.domain.errors import DomainError, NotFound, SlotClosed, SlotFull
from opd_contracts.vocabulary import Source, TokenStatus


def test_a_booking_takes_one_place_and_the_next_sequence_number(clinic):
    slot = clinic.open(capacity=2)

    token = clinic.book(slot)

    assert (slot.current_count, slot.last_sequence) == (1, 1)
    assert (token.slot_id, token.sequence_number) == (slot.id, 1)
    assert token.status is TokenStatus.ALLOCATED
    assert token.is_overflow is False


@pytest.mark.parametrize("source", list(Source))
def test_a_full_slot_refuses_a_normal_booking_whatever_its_source(clinic, source):
    slot = clinic.open(capacity=2)
    clinic.fill(slot)

    with pytest.raises(SlotFull) as refused:
        clinic.book(slot, source)

    assert refused.value.code == "slot_full"
    assert slot.current_count == 2


def test_a_refused_booking_leaves_the_schedule_exactly_as_it_was(clinic):
    slot = clinic.open(capacity=1)
    clinic.fill(slot)
    before = copy.deepcopy(clinic.schedule)

    with pytest.raises(SlotFull):
        clinic.book(slot)

    assert clinic.schedule == before


def test_a_refused_booking_does_not_use_up_a_token_number(clinic):
    slot = clinic.open(capacity=1)
    clinic.fill(slot)
    with pytest.raises(SlotFull):
        clinic.book(slot)
    clinic.walk(slot.tokens[0], TokenStatus.CANCELLED)

    token = clinic.book(slot)

    assert token.token_number.endswith("-0002")


def test_a_cancellation_frees_a_place_for_the_next_booking(clinic):
    slot = clinic.open(capacity=1)
    (first,) = clinic.fill(slot)
    clinic.walk(first, TokenStatus.CANCELLED)

    second = clinic.book(slot)

    assert slot.current_count == 1
    assert second.sequence_number == 2


def test_booking_into_a_slot_already_over_is_refused_as_closed(clinic):
    slot = clinic.open("09:00", "10:00")

    with pytest.raises(SlotClosed) as refused:
        clinic.book(slot, now=clinic.at("10:00"))

    assert refused.value.code == "slot_closed"
    assert slot.tokens == []


def test_an_emergency_into_a_slot_already_over_is_refused_too(clinic):
    slot = clinic.open("09:00", "10:00")

    with pytest.raises(SlotClosed):
        clinic.book(slot, Source.PRIORITY, emergency=True, now=clinic.at("11:30"))


def test_a_slot_in_progress_still_takes_bookings(clinic):
    slot = clinic.open("09:00", "10:00")

    token = clinic.book(slot, now=clinic.at("09:59"))

    assert token.slot_id == slot.id


def test_a_deactivated_slot_refuses_bookings(clinic):
    slot = clinic.open()
    slot.is_active = False

    with pytest.raises(SlotClosed):
        clinic.book(slot)


def test_booking_into_another_doctors_slot_is_not_found(clinic, make_clinic):
    elsewhere = make_clinic().open()

    with pytest.raises(NotFound) as refused:
        clinic.book(elsewhere)

    assert refused.value.code == "not_found"


def test_every_refusal_is_a_domain_error_with_a_machine_code(clinic):
    slot = clinic.open(capacity=1)
    clinic.fill(slot)

    with pytest.raises(DomainError) as refused:
        clinic.book(slot)

    assert refused.value.code == "slot_full"
    assert str(slot.id) in refused.value.detail
