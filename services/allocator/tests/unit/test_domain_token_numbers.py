"""Token numbers: DOC{doctor}-{YYYYMMDD of the slot}-{NNNN}, counted per doctor and date."""

from __future__ import annotations

import re

from opd_contracts.vocabulary import Source, TokenStatus


def test_a_token_number_names_the_doctor_the_slot_date_and_a_four_digit_counter(clinic):
    slot = clinic.open(day=2)

    token = clinic.book(slot)

    doctor = clinic.schedule.doctor.id
    assert token.token_number == f"DOC{doctor}-{clinic.date(2):%Y%m%d}-0001"
    assert re.fullmatch(r"DOC\d+-\d{8}-\d{4}", token.token_number)


def test_the_counter_is_shared_by_every_slot_of_the_same_date(clinic):
    morning = clinic.open("09:00", "10:00")
    noon = clinic.open("12:00", "13:00")

    numbers = [clinic.book(s).token_number[-4:] for s in (morning, noon, morning)]

    assert numbers == ["0001", "0002", "0003"]


def test_each_date_has_its_own_counter_so_future_dates_never_collide(clinic):
    today = clinic.open(day=0)
    next_week = clinic.open(day=7)

    first_today = clinic.book(today)
    first_next_week = clinic.book(next_week)
    second_today = clinic.book(today)

    assert first_today.token_number.endswith("-0001")
    assert first_next_week.token_number.endswith("-0001")
    assert second_today.token_number.endswith("-0002")
    assert first_today.token_number != first_next_week.token_number


def test_two_doctors_on_the_same_date_have_distinct_numbers(clinic, make_clinic):
    other = make_clinic()

    mine = clinic.book(clinic.open())
    theirs = other.book(other.open())

    assert mine.token_number[-4:] == theirs.token_number[-4:] == "0001"
    assert mine.token_number != theirs.token_number


def test_a_cancelled_token_number_is_never_given_out_again(clinic):
    slot = clinic.open(capacity=1)
    cancelled = clinic.walk(clinic.book(slot), TokenStatus.CANCELLED)

    replacement = clinic.book(slot)

    assert replacement.token_number != cancelled.token_number


def test_a_bumped_patient_keeps_their_token_number(clinic):
    slot = clinic.open("09:00", "10:00", capacity=1)
    clinic.open("10:00", "11:00", capacity=1)
    (walk_in,) = clinic.fill(slot)
    number = walk_in.token_number

    clinic.book(slot, Source.PRIORITY, emergency=True)

    assert walk_in.token_number == number


def test_numbers_stay_unique_across_many_bookings(clinic):
    slots = [clinic.open(f"{h:02d}:00", f"{h + 1:02d}:00", day=h % 2, capacity=5)
             for h in range(9, 13)]

    numbers = [clinic.book(s).token_number for s in slots for _ in range(5)]

    assert len(set(numbers)) == len(numbers) == 20
