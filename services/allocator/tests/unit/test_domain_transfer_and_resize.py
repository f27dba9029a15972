"""Transfers to a colleague and slot capacity changes."""

from __future__ import annotations

import dataclasses

import pytest

from allocator.domain.errors import Conflict, InvalidRequest, InvalidTransition, SlotFull
from allocator.domain.transfer import transfer
from opd_contracts.vocabulary import Source, TokenStatus

from .conftest import new_id


def test_a_transfer_books_the_patient_with_the_colleague_and_cancels_the_old_token(make_clinic):
    mine, theirs = make_clinic(), make_clinic()
    slot, their_slot = mine.open(), theirs.open()
    token = mine.book(slot, Source.FOLLOW_UP)

    moved = transfer(mine.schedule, token.id, theirs.schedule, their_slot.id, new_id(),
                     "colleague free earlier", mine.now)

    assert moved.doctor_id == theirs.schedule.doctor.id and moved.slot_id == their_slot.id
    assert moved.patient_name == token.patient_name and moved.source is Source.FOLLOW_UP
    assert moved.moved_from_slot_id == slot.id and token.token_number in moved.move_reason
    assert token.status is TokenStatus.CANCELLED and slot.current_count == 0
    assert moved.token_number in mine.schedule.changes[-1].reason


def test_a_transfer_needs_the_same_specialization_a_waiting_token_and_room(make_clinic):
    mine, theirs, other = make_clinic(), make_clinic(), make_clinic()
    other.schedule.doctor.specialization = "Dermatology"
    slot, their_slot, other_slot = mine.open(), theirs.open(capacity=1), other.open()
    token, seen = mine.book(slot), mine.book(slot)
    mine.walk(seen, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING)
    theirs.book(their_slot)

    with pytest.raises(InvalidRequest):
        transfer(mine.schedule, token.id, other.schedule, other_slot.id, new_id(), None, mine.now)
    with pytest.raises(InvalidTransition):
        transfer(mine.schedule, seen.id, theirs.schedule, their_slot.id, new_id(), None, mine.now)
    with pytest.raises(SlotFull):
        transfer(mine.schedule, token.id, theirs.schedule, their_slot.id, new_id(), None, mine.now)
    assert token.status is TokenStatus.ALLOCATED


def test_a_slot_grows_and_shrinks_no_lower_than_the_places_held(clinic):
    slot = clinic.open(capacity=3)
    clinic.fill(slot)

    clinic.schedule.resize_slot(slot.id, 5, clinic.now)
    clinic.schedule.resize_slot(slot.id, 3, clinic.now)

    assert slot.max_capacity == 3
    with pytest.raises(Conflict):
        clinic.schedule.resize_slot(slot.id, 2, clinic.now)
    assert slot.max_capacity == 3


def test_a_patients_abha_number_stays_on_the_token_and_follows_a_transfer(make_clinic):
    mine, theirs = make_clinic(), make_clinic()
    slot, their_slot = mine.open(), theirs.open()
    booking = dataclasses.replace(mine.booking(slot), abha_number="91-1234-5678-9012")
    token = mine.schedule.book(booking, mine.now)

    moved = transfer(mine.schedule, token.id, theirs.schedule, their_slot.id, new_id(), None,
                     mine.now)

    assert token.abha_number == moved.abha_number == "91-1234-5678-9012"
    [booked] = [c for c in mine.schedule.changes if c.type == "token.allocated"]
    assert booked.tokens[0]["abha_number"] == "91-1234-5678-9012"  # the event carries it
