"""Reallocation: only a waiting token moves, to another open slot with room, queuing anew."""

from __future__ import annotations

import copy

import pytest

from allocator.domain.errors import InvalidRequest, InvalidTransition, SlotClosed, SlotFull
from allocator.domain.priority import priority_score
from opd_contracts.vocabulary import Source, TokenStatus


def test_a_waiting_token_moves_to_the_next_sequence_of_the_target_slot(clinic):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00", capacity=3)
    token = clinic.book(origin)
    clinic.book(target)
    clinic.walk(clinic.book(target), TokenStatus.CANCELLED)

    clinic.schedule.reallocate(token.id, target.id, "patient asked", clinic.now)

    assert (token.slot_id, token.sequence_number) == (target.id, 3)
    assert target.last_sequence == 3
    assert (origin.current_count, target.current_count) == (0, 2)
    assert token in target.tokens and token not in origin.tokens


def test_the_moved_token_records_where_it_came_from_and_why(clinic):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    token = clinic.book(origin)

    clinic.schedule.reallocate(token.id, target.id, "patient asked", clinic.now)

    assert (token.moved_from_slot_id, token.move_reason) == (origin.id, "patient asked")
    assert clinic.schedule.changes[-1].type == "token.moved"


def test_a_reallocation_without_a_reason_says_reallocated(clinic):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    token = clinic.book(origin)

    clinic.schedule.reallocate(token.id, target.id, None, clinic.now)

    assert token.move_reason == "reallocated"


def test_the_score_is_recomputed_for_the_new_slot(clinic):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    token = clinic.book(origin, Source.FOLLOW_UP)
    token.priority_score = 0  # a stale score from before the move

    clinic.schedule.reallocate(token.id, target.id, None, clinic.now)

    assert token.priority_score == priority_score(Source.FOLLOW_UP)


def test_a_checked_in_token_can_be_reallocated(clinic):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    token = clinic.walk(clinic.book(origin), TokenStatus.CHECKED_IN)

    clinic.schedule.reallocate(token.id, target.id, None, clinic.now)

    assert token.slot_id == target.id and token.status is TokenStatus.CHECKED_IN


@pytest.mark.parametrize("route", [
    (TokenStatus.CHECKED_IN, TokenStatus.CONSULTING),
    (TokenStatus.CHECKED_IN, TokenStatus.CONSULTING, TokenStatus.COMPLETED),
    (TokenStatus.CANCELLED,),
    (TokenStatus.NO_SHOW,),
], ids=lambda route: route[-1])
def test_a_token_no_longer_waiting_cannot_be_reallocated(clinic, route):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    token = clinic.walk(clinic.book(origin), *route)
    before = copy.deepcopy(clinic.schedule)

    with pytest.raises(InvalidTransition) as refused:
        clinic.schedule.reallocate(token.id, target.id, None, clinic.now)

    assert refused.value.code == "invalid_transition"
    assert clinic.schedule == before


def test_a_full_target_is_refused_and_nothing_moves(clinic):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00", capacity=1)
    token = clinic.book(origin)
    clinic.fill(target)
    before = copy.deepcopy(clinic.schedule)

    with pytest.raises(SlotFull):
        clinic.schedule.reallocate(token.id, target.id, None, clinic.now)

    assert clinic.schedule == before


def test_a_target_already_over_is_refused(clinic):
    origin, target = clinic.open("11:00", "12:00"), clinic.open("09:00", "10:00")
    token = clinic.book(origin)

    with pytest.raises(SlotClosed):
        clinic.schedule.reallocate(token.id, target.id, None, clinic.at("10:30"))

    assert token.slot_id == origin.id


def test_moving_a_token_to_its_own_slot_is_refused(clinic):
    slot = clinic.open()
    token = clinic.book(slot)

    with pytest.raises(InvalidRequest):
        clinic.schedule.reallocate(token.id, slot.id, None, clinic.now)

    assert (token.sequence_number, slot.last_sequence) == (1, 1)


def test_an_overflow_emergency_moved_into_room_is_no_longer_overflow(clinic):
    full, target = clinic.open("09:00", "10:00", capacity=1), clinic.open("10:00", "11:00")
    clinic.fill(full, Source.ONLINE)
    clinic.fill(target, Source.ONLINE)
    emergency = clinic.book(full, Source.PRIORITY, emergency=True)
    clinic.walk(target.tokens[0], TokenStatus.CANCELLED)

    clinic.schedule.reallocate(emergency.id, target.id, None, clinic.now)

    assert not emergency.is_overflow and emergency.is_emergency
    assert (full.current_count, full.overflow_count) == (1, 0)
    assert (target.current_count, target.overflow_count) == (2, 0)
