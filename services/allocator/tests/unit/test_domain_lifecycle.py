"""One transition function: allocated -> checked_in -> consulting -> completed, with
no-show and cancellation from the two waiting states; capacity is freed exactly once."""

from __future__ import annotations

import contextlib
import copy
import itertools

import pytest

from allocator.domain.errors import DomainError, InvalidTransition
from opd_contracts.vocabulary import TokenStatus as S

ALLOWED = {
    (S.ALLOCATED, S.CHECKED_IN), (S.ALLOCATED, S.NO_SHOW), (S.ALLOCATED, S.CANCELLED),
    (S.CHECKED_IN, S.CONSULTING), (S.CHECKED_IN, S.NO_SHOW), (S.CHECKED_IN, S.CANCELLED),
    (S.CONSULTING, S.COMPLETED),
}
FORBIDDEN = sorted(set(itertools.product(S, S)) - ALLOWED)
ROUTE = {
    S.ALLOCATED: (), S.CHECKED_IN: (S.CHECKED_IN,),
    S.CONSULTING: (S.CHECKED_IN, S.CONSULTING),
    S.COMPLETED: (S.CHECKED_IN, S.CONSULTING, S.COMPLETED),
    S.CANCELLED: (S.CANCELLED,), S.NO_SHOW: (S.NO_SHOW,),
}
STAMP = {S.CHECKED_IN: "checked_in_at", S.CONSULTING: "consultation_started_at",
         S.COMPLETED: "completed_at", S.CANCELLED: "closed_at", S.NO_SHOW: "closed_at"}


@pytest.mark.parametrize(("start", "to"), sorted(ALLOWED))
def test_an_allowed_transition_changes_the_status_and_stamps_the_time(clinic, start, to):
    token = clinic.walk(clinic.book(clinic.open()), *ROUTE[start])
    at = clinic.at("09:15")

    clinic.schedule.change_status(token.id, to, at)

    assert token.status is to
    assert getattr(token, STAMP[to]) == at
    assert clinic.schedule.changes[-1].previous_status is start


@pytest.mark.parametrize(("start", "to"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_and_changes_nothing(clinic, start, to):
    token = clinic.walk(clinic.book(clinic.open()), *ROUTE[start])
    before = copy.deepcopy(clinic.schedule)

    with pytest.raises(InvalidTransition) as refused:
        clinic.schedule.change_status(token.id, to, clinic.now)

    assert refused.value.code == "invalid_transition"
    assert clinic.schedule == before


@pytest.mark.parametrize(("status", "places"), [
    (S.ALLOCATED, 1), (S.CHECKED_IN, 1), (S.CONSULTING, 1), (S.COMPLETED, 1),
    (S.CANCELLED, 0), (S.NO_SHOW, 0),
])
def test_only_cancellation_and_no_show_give_the_place_back(clinic, status, places):
    slot = clinic.open()

    clinic.walk(clinic.book(slot), *ROUTE[status])

    assert slot.current_count == places


STEPS = ("cancel", "no_show", "reallocate")


@pytest.mark.parametrize("steps", [
    *itertools.permutations(STEPS),
    ("cancel", "cancel"), ("no_show", "no_show"), ("reallocate", "reallocate", "cancel"),
], ids="-".join)
def test_a_place_is_freed_exactly_once_whatever_the_order(clinic, steps):
    origin, target = clinic.open("09:00", "10:00"), clinic.open("10:00", "11:00")
    companion, token = clinic.book(origin), clinic.book(origin)

    for step in steps:
        with contextlib.suppress(DomainError):  # a refused step is one possible order too
            _apply(clinic, token, step, elsewhere=target if token.slot_id == origin.id else origin)

    holders = 1 + token.holds_place
    assert origin.current_count + target.current_count == holders
    for slot in (origin, target):
        assert slot.current_count == sum(t.holds_place for t in slot.tokens)
    assert companion.slot_id == origin.id


def _apply(clinic, token, step, *, elsewhere):
    schedule = clinic.schedule
    if step == "reallocate":
        schedule.reallocate(token.id, elsewhere.id, None, clinic.now)
    else:
        schedule.change_status(token.id, S.CANCELLED if step == "cancel" else S.NO_SHOW,
                               clinic.now)


def test_a_completed_patient_keeps_the_place_they_used(clinic):
    slot = clinic.open(capacity=1)
    clinic.walk(clinic.book(slot), S.CHECKED_IN, S.CONSULTING, S.COMPLETED)

    with pytest.raises(DomainError) as refused:
        clinic.book(slot)

    assert refused.value.code == "slot_full"
