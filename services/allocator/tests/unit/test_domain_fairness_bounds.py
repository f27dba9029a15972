"""Fairness's slot bounds only spare reading the tokens: a schedule that keeps them decides
every booking, score, overtake count and reason exactly as one that reads every token of the
slot for every booking (the rule as written before the bounds)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.domain.change import Booking
from allocator.domain.errors import DomainError
from allocator.domain.fairness import FairnessPolicy, SlotBounds
from allocator.domain.model import Slot, Token
from allocator.domain.policy import Policy
from opd_contracts.vocabulary import Source, TokenStatus

from .conftest import new_clinic


@dataclass(frozen=True)
class Scanning(FairnessPolicy):
    """The rule reading the whole slot each time: given no bounds."""

    def score_for(self, slot: Slot, natural: int, emergency: bool,
                  bounds: SlotBounds | None = None) -> int:
        return super().score_for(slot, natural, emergency)

    @staticmethod
    def count_overtakes(slot: Slot, newcomer: Token, bounds: SlotBounds | None = None) -> None:
        FairnessPolicy.count_overtakes(slot, newcomer)


# Mostly bookings, seldom an emergency: protection needs a patient overtaken again and again.
books = st.tuples(st.just("book"), st.integers(0, 2), st.sampled_from(Source),
                  st.sampled_from([False] * 5 + [True]))
steps = st.lists(st.one_of(
    books, books, books, books,
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("check in"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 2)),
    st.tuples(st.just("call"), st.integers(0, 2)),
), min_size=15, max_size=80)  # short days hardly ever reach a protected patient


def _apply(clinic, slots: list[Slot], step: tuple, booking: Booking | None) -> object:
    """What the step answered: the token it made or changed, or the refusal."""
    schedule, now = clinic.schedule, clinic.now
    tokens = sorted((t for s in schedule.slots.values() for t in s.tokens), key=lambda t: t.id)
    try:
        match step:
            case ("book", *_) if booking is not None:
                return schedule.book(booking, now).id
            case ("cancel", n) if tokens:
                return schedule.change_status(tokens[n % len(tokens)].id,
                                              TokenStatus.CANCELLED, now).id
            case ("check in", n) if tokens:
                return schedule.change_status(tokens[n % len(tokens)].id,
                                              TokenStatus.CHECKED_IN, now).id
            case ("move", n, slot) if tokens:
                return schedule.reallocate(tokens[n % len(tokens)].id, slots[slot].id, None,
                                           now).id
            case ("call", slot):
                return schedule.call_next(slots[slot].id, now).id
    except DomainError as refused:
        return type(refused).__name__
    return None


def _state(clinic) -> list[tuple]:
    return sorted((t.id, t.slot_id, t.status, t.priority_score, t.overtaken_count,
                   t.sequence_number) for s in clinic.schedule.slots.values() for t in s.tokens)


@settings(max_examples=300, database=None, deadline=None)
@given(steps, st.integers(1, 3))
def test_a_schedule_keeping_bounds_decides_as_one_reading_every_token(steps, max_overtakes):
    bounded = new_clinic()
    bounded.schedule.policy = Policy(FairnessPolicy(max_overtakes=max_overtakes))
    slots = [bounded.open(start, end, capacity=places) for start, end, places in
             (("09:00", "10:00", 12), ("10:00", "11:00", 12), ("11:00", "12:00", 4))]
    scanning = copy.deepcopy(bounded)
    scanning.schedule.policy = Policy(Scanning(max_overtakes=max_overtakes))
    scanning_slots = [scanning.schedule.slots[s.id] for s in slots]

    for step in steps:
        bounded.schedule.changes.clear()
        scanning.schedule.changes.clear()
        booking = (bounded.booking(slots[step[1]], step[2], emergency=step[3], phone=None)
                   if step[0] == "book" else None)  # the same patient and token id
        answered = _apply(bounded, slots, step, booking)

        assert _apply(scanning, scanning_slots, step, booking) == answered
        assert _state(bounded) == _state(scanning)
        assert [c.reason for c in bounded.schedule.changes] == \
            [c.reason for c in scanning.schedule.changes]
