"""An emergency always gets in: into room, by bumping a walk-in, or as overflow."""

from __future__ import annotations

from allocator.domain.priority import queue_order
from opd_contracts.vocabulary import Source, TokenStatus


def test_an_emergency_into_a_slot_with_room_goes_to_the_head_of_the_queue(clinic):
    slot = clinic.open(capacity=3)
    clinic.book(slot, Source.PRIORITY)
    clinic.book(slot, Source.FOLLOW_UP)

    emergency = clinic.book(slot, Source.WALK_IN, emergency=True)

    assert queue_order(slot.tokens)[0] is emergency
    assert emergency.is_emergency and not emergency.is_overflow
    assert slot.current_count == 3


def test_an_emergency_needs_no_phone_number(clinic):
    slot = clinic.open()

    emergency = clinic.book(slot, Source.PRIORITY, emergency=True, phone=None)

    assert emergency.patient_phone is None


def test_an_emergency_into_a_full_slot_bumps_the_latest_walk_in_to_the_next_slot_with_room(
        clinic):
    full = clinic.open("09:00", "10:00", capacity=3)
    also_full = clinic.open("10:00", "11:00", capacity=1)
    clinic.fill(also_full, Source.ONLINE)
    next_with_room = clinic.open("11:00", "12:00", capacity=2)
    early_walk_in = clinic.book(full, Source.WALK_IN)
    clinic.book(full, Source.ONLINE)
    late_walk_in = clinic.book(full, Source.WALK_IN)

    emergency = clinic.book(full, Source.PRIORITY, emergency=True)

    assert late_walk_in.slot_id == next_with_room.id
    assert late_walk_in in next_with_room.tokens and late_walk_in not in full.tokens
    assert early_walk_in.slot_id == full.id
    assert emergency.slot_id == full.id and not emergency.is_overflow
    assert (full.current_count, next_with_room.current_count) == (3, 1)


def test_the_bumped_patient_is_told_where_they_came_from_and_why(clinic):
    full = clinic.open("09:00", "10:00", capacity=1)
    later = clinic.open("10:00", "11:00", capacity=1)
    (walk_in,) = clinic.fill(full)

    clinic.book(full, Source.PRIORITY, emergency=True)

    assert walk_in.moved_from_slot_id == full.id
    assert "emergency" in walk_in.move_reason
    assert walk_in.sequence_number == later.last_sequence == 1
    assert walk_in.status is TokenStatus.ALLOCATED


def test_a_checked_in_walk_in_can_be_bumped_but_a_consulting_one_cannot(clinic):
    full = clinic.open("09:00", "10:00", capacity=2)
    later = clinic.open("10:00", "11:00", capacity=2)
    checked_in, consulting = clinic.fill(full)
    clinic.walk(checked_in, TokenStatus.CHECKED_IN)
    clinic.walk(consulting, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING)

    clinic.book(full, Source.PRIORITY, emergency=True)

    assert checked_in.slot_id == later.id
    assert consulting.slot_id == full.id


def test_the_bumped_walk_in_can_land_on_the_next_day(clinic):
    full = clinic.open("09:00", "10:00", capacity=1)
    tomorrow = clinic.open("09:00", "10:00", day=1, capacity=1)
    (walk_in,) = clinic.fill(full)

    clinic.book(full, Source.PRIORITY, emergency=True)

    assert walk_in.slot_id == tomorrow.id


def test_a_full_slot_of_non_walk_ins_overflows_and_says_so_on_token_and_slot(clinic):
    full = clinic.open("09:00", "10:00", capacity=2)
    clinic.open("10:00", "11:00", capacity=2)
    clinic.fill(full, Source.ONLINE)

    emergency = clinic.book(full, Source.PRIORITY, emergency=True)

    assert emergency.is_overflow and emergency.slot_id == full.id
    assert (full.current_count, full.overflow_count, full.max_capacity) == (3, 1, 2)
    assert queue_order(full.tokens)[0] is emergency


def test_a_full_slot_with_no_later_slot_with_room_overflows(clinic):
    full = clinic.open("09:00", "10:00", capacity=1)
    later_full = clinic.open("10:00", "11:00", capacity=1)
    clinic.fill(later_full)
    (walk_in,) = clinic.fill(full)

    emergency = clinic.book(full, Source.WALK_IN, emergency=True)

    assert emergency.is_overflow and full.overflow_count == 1
    assert walk_in.slot_id == full.id


def test_an_earlier_slot_with_room_does_not_take_a_bumped_walk_in(clinic):
    earlier = clinic.open("08:30", "09:00", capacity=5)
    full = clinic.open("09:00", "10:00", capacity=1)
    (walk_in,) = clinic.fill(full)

    emergency = clinic.book(full, Source.PRIORITY, emergency=True)

    assert emergency.is_overflow
    assert walk_in.slot_id == full.id and earlier.tokens == []


def test_an_earlier_emergency_walk_in_is_never_bumped_by_a_later_one(clinic):
    full = clinic.open("09:00", "10:00", capacity=1)
    clinic.open("10:00", "11:00", capacity=1)
    first = clinic.book(full, Source.WALK_IN, emergency=True)

    second = clinic.book(full, Source.WALK_IN, emergency=True)

    assert first.slot_id == full.id
    assert second.is_overflow


def test_cancelling_an_overflow_emergency_gives_back_the_overflow_place(clinic):
    full = clinic.open(capacity=1)
    clinic.fill(full, Source.ONLINE)
    emergency = clinic.book(full, Source.PRIORITY, emergency=True)

    clinic.walk(emergency, TokenStatus.CANCELLED)

    assert (full.current_count, full.overflow_count) == (1, 0)
