"""Doctor delay: who no longer fits today's remaining time moves to the next days' slots,
keeping their relative order."""

from __future__ import annotations

from opd_contracts.vocabulary import Source, TokenStatus


def test_the_tokens_that_no_longer_fit_move_to_the_next_day(clinic):
    today = clinic.open("09:00", "10:00", capacity=4)  # 15 minutes a patient
    tomorrow = clinic.open("09:00", "10:00", day=1, capacity=4)
    first, second, third, fourth = clinic.fill(today, Source.ONLINE)

    moved = clinic.schedule.delay(30, None, clinic.now)

    assert moved == [(third, today.id), (fourth, today.id)]
    assert [t.slot_id for t in (first, second)] == [today.id, today.id]
    assert [t.sequence_number for t in (third, fourth)] == [1, 2]
    assert (today.current_count, tomorrow.current_count) == (2, 2)


def test_moved_tokens_keep_their_relative_order_across_several_target_slots(clinic):
    today = clinic.open("09:00", "10:00", capacity=4)
    small = clinic.open("09:00", "10:00", day=1, capacity=1)
    roomy = clinic.open("10:00", "11:00", day=1, capacity=7)
    for _ in range(5):
        clinic.book(roomy)
    tokens = clinic.fill(today, Source.ONLINE)

    clinic.schedule.delay(45, None, clinic.now)

    assert [t.slot_id for t in tokens] == [today.id, small.id, roomy.id, roomy.id]
    assert tokens[2].sequence_number < tokens[3].sequence_number
    assert roomy.tokens[-2:] == tokens[2:]


def test_the_later_of_todays_slots_moves_out_first(clinic):
    morning = clinic.open("09:00", "10:00", capacity=2)  # 30 minutes a patient
    late = clinic.open("10:00", "11:00", capacity=2)
    tomorrow = clinic.open("09:00", "11:00", day=1, capacity=4)
    kept = clinic.fill(morning)
    leaving = clinic.fill(late)

    moved = clinic.schedule.delay(60, None, clinic.now)

    assert moved == [(token, late.id) for token in leaving]
    assert all(t.slot_id == morning.id for t in kept)
    assert tomorrow.current_count == 2


def test_an_emergency_keeps_its_place_today_before_earlier_walk_ins(clinic):
    today = clinic.open("09:00", "10:00", capacity=2)
    clinic.open("09:00", "10:00", day=1)
    walk_in = clinic.book(today, Source.WALK_IN)
    emergency = clinic.book(today, Source.WALK_IN, emergency=True)

    moved = clinic.schedule.delay(30, None, clinic.now)

    assert moved == [(walk_in, today.id)]
    assert emergency.slot_id == today.id


def test_the_move_says_the_doctor_was_delayed_and_why(clinic):
    today = clinic.open("09:00", "10:00", capacity=1)
    clinic.open("09:00", "10:00", day=1)
    (token,) = clinic.fill(today)

    clinic.schedule.delay(30, "surgery ran late", clinic.now)

    assert token.move_reason == "doctor delayed 30 min: surgery ran late"
    assert token.moved_from_slot_id == today.id


def test_a_short_delay_moves_nobody_when_everyone_still_fits(clinic):
    today = clinic.open("09:00", "10:00", capacity=4)
    clinic.open("09:00", "10:00", day=1)
    clinic.book(today)
    clinic.book(today)

    moved = clinic.schedule.delay(30, None, clinic.now)

    assert moved == []


def test_with_nowhere_to_go_the_patients_keep_their_place(clinic):
    today = clinic.open("09:00", "10:00", capacity=2)
    clinic.open("12:00", "13:00", capacity=2)  # later today is not a target
    tokens = clinic.fill(today)

    moved = clinic.schedule.delay(60, None, clinic.now)

    assert moved == []
    assert all(t.slot_id == today.id and t.moved_from_slot_id is None for t in tokens)


def test_patients_being_seen_or_already_seen_never_move(clinic):
    today = clinic.open("09:00", "10:00", capacity=2)
    clinic.open("09:00", "10:00", day=1)
    seen, consulting = clinic.fill(today)
    clinic.walk(seen, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING, TokenStatus.COMPLETED)
    clinic.walk(consulting, TokenStatus.CHECKED_IN, TokenStatus.CONSULTING)

    moved = clinic.schedule.delay(60, None, clinic.at("09:10"))

    assert moved == []
    assert seen.slot_id == consulting.slot_id == today.id


def test_waiting_patients_of_a_slot_already_over_are_left_alone(clinic):
    over = clinic.open("09:00", "10:00", capacity=2)
    clinic.open("09:00", "10:00", day=1)
    clinic.fill(over)

    moved = clinic.schedule.delay(60, None, clinic.at("10:30"))

    assert moved == []


def test_the_time_already_gone_in_the_current_slot_is_not_counted(clinic):
    today = clinic.open("09:00", "10:00", capacity=4)  # 15 minutes a patient
    clinic.open("09:00", "10:00", day=1, capacity=4)
    tokens = clinic.fill(today)

    moved = clinic.schedule.delay(15, None, clinic.at("09:30"))

    assert [token for token, _ in moved] == tokens[1:]
