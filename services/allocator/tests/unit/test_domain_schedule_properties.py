"""Random sequences of commands on a two-day schedule keep every capacity invariant, and a
refused command leaves the schedule exactly as it was."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from collections import Counter

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from allocator.domain.errors import DomainError
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.model import Doctor, Slot, Token
from allocator.domain.policy import Policy
from allocator.domain.priority import priority_score, queue_order
from allocator.domain.schedule import Booking, Schedule
from opd_contracts.vocabulary import Source, TokenStatus

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
DAY_ONE = dt.date(2030, 3, 4)
NOW = dt.datetime.combine(DAY_ONE, dt.time(8, 0), IST)  # nothing is over yet
DOCTOR = 7
PLAN = [(0, "09:00", "10:00", 2), (0, "10:00", "11:00", 2),
        (1, "09:00", "10:00", 3), (1, "10:00", "10:30", 1)]
# Walk-ins twice as often: they are the ones an emergency can bump.
SOURCES = st.sampled_from([Source.WALK_IN, *Source])


def _policy(token: Token) -> tuple[bool, bool, int, int]:
    """The queue policy, stated independently: consulting, emergencies, score, arrival."""
    return (token.status is not TokenStatus.CONSULTING, not token.is_emergency,
            -priority_score(token.source), token.sequence_number)


class ScheduleMachine(RuleBasedStateMachine):
    slots = Bundle("slots")
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(100)
        doctor = Doctor(id=DOCTOR, name="Dr. Rao", specialization="ENT", room=None, created_at=NOW)
        self.schedule = Schedule(doctor=doctor, slots={})
        self.taken: list[int] = []  # the ids of the new tokens taken so far

    def _slot(self, day: int, start: dt.time, end: dt.time, capacity: int) -> Slot:
        return Slot(id=next(self.ids), doctor_id=DOCTOR, date=DAY_ONE + dt.timedelta(days=day),
                    start_time=start, end_time=end, max_capacity=capacity)

    def _attempt(self, command, *args):
        """Run one command; a refusal is an allowed outcome but must change nothing."""
        before = copy.deepcopy(self.schedule)
        try:
            return command(*args)
        except DomainError as refused:
            event(f"{command.__name__} refused: {refused.code}")
            assert self.schedule == before, f"a refused {command.__name__} changed the schedule"
            return None

    @initialize(target=slots)
    def open_two_days_of_slots(self):
        opened = [self.schedule.open_slot(self._slot(day, dt.time.fromisoformat(start),
                                                     dt.time.fromisoformat(end), capacity), NOW)
                  for day, start, end, capacity in PLAN]
        return multiple(*(slot.id for slot in opened))

    @rule(target=slots, day=st.integers(0, 1), quarter=st.integers(32, 60),
          length=st.integers(1, 6), capacity=st.integers(1, 3))
    def open_slot(self, day, quarter, length, capacity):
        start = dt.time(quarter // 4, quarter % 4 * 15)
        end = dt.time((quarter + length) // 4, (quarter + length) % 4 * 15)
        opened = self._attempt(self.schedule.open_slot, self._slot(day, start, end, capacity), NOW)
        return multiple() if opened is None else opened.id

    @rule(target=tokens, slot_id=slots, source=SOURCES,
          emergency=st.sampled_from([False, False, False, True]))
    def book(self, slot_id, source, emergency):
        had_room = self.schedule.slots[slot_id].has_room
        booking = Booking(next(self.ids), slot_id, "Patient", None, source, emergency=emergency)
        token = self._attempt(self.schedule.book, booking, NOW)
        assert (token is not None) == (emergency or had_room), "only a full slot refuses"
        if token is not None and not had_room:
            event("emergency overflowed" if token.is_overflow else "emergency bumped a walk-in")
        return multiple() if token is None else token.id

    @rule(token_id=tokens, to=st.sampled_from(TokenStatus))
    def change_status(self, token_id, to):
        self._attempt(self.schedule.change_status, token_id, to, NOW)

    @rule(token_id=tokens, slot_id=slots)
    def reallocate(self, token_id, slot_id):
        self._attempt(self.schedule.reallocate, token_id, slot_id, "patient asked", NOW)

    @rule(slot_id=st.none() | slots)
    def call_next(self, slot_id):
        self._attempt(self.schedule.call_next, slot_id, NOW)

    @precondition(lambda self: len(self.schedule.slots) > 0)
    @rule(minutes=st.integers(1, 180))
    def delay(self, minutes):
        moved = self.schedule.delay(minutes, None, NOW)
        event(f"delay moved {'some' if moved else 'nobody'}")
        assert all(token.slot_id != origin for token, origin in moved)
        assert all(self.schedule.slot(token.slot_id).date > DAY_ONE for token, _ in moved)

    def _all_tokens(self) -> list[Token]:
        return [t for s in self.schedule.slots.values() for t in s.tokens]

    @invariant()
    def every_place_is_held_by_exactly_one_token(self):
        for slot in self.schedule.slots.values():
            holders = [t for t in slot.tokens if t.holds_place]
            overflow = [t for t in holders if t.is_overflow]
            assert slot.current_count == len(holders)
            assert slot.overflow_count == len(overflow)
            assert slot.current_count <= slot.max_capacity + slot.overflow_count
            assert len(holders) - len(overflow) <= slot.max_capacity
            assert all(t.slot_id == slot.id for t in slot.tokens)

    @invariant()
    def every_token_made_is_taken_as_new_once(self):
        """A repository adds the new tokens to its session from `take_new_tokens` alone (a
        mapped slot's tokens add none: adapters/orm.py)."""
        self.taken.extend(t.id for t in self.schedule.take_new_tokens())
        assert sorted(self.taken) == sorted(t.id for t in self._all_tokens())

    @invariant()
    def sequences_are_unique_within_a_slot_and_never_ahead_of_the_counter(self):
        for slot in self.schedule.slots.values():
            sequences = [t.sequence_number for t in slot.tokens]
            assert len(set(sequences)) == len(sequences)
            assert all(1 <= n <= slot.last_sequence for n in sequences)

    @invariant()
    def token_numbers_are_unique_and_counted_without_gaps(self):
        tokens = self._all_tokens()
        numbers = [t.token_number for t in tokens]
        assert len(set(numbers)) == len(numbers)
        assert len({t.id for t in tokens}) == len(tokens)
        assert all(re.fullmatch(rf"DOC{DOCTOR}-\d{{8}}-\d{{4}}", n) for n in numbers)
        per_date = Counter(dt.datetime.strptime(n.split("-")[1], "%Y%m%d").date()
                           for n in numbers)
        assert per_date == Counter({d: n for d, n in self.schedule.counters.items() if n})

    @invariant()
    def each_queue_is_a_total_order_following_the_policy(self):
        for slot in self.schedule.slots.values():
            order = queue_order(slot.tokens)
            live = {t.id for t in slot.tokens
                    if t.is_waiting or t.status is TokenStatus.CONSULTING}
            assert {t.id for t in order} == live and len(order) == len(live)
            assert all(_policy(a) < _policy(b) for a, b in itertools.pairwise(order))
            assert all(t.priority_score == priority_score(t.source) for t in slot.tokens)


TestEveryInvariantHoldsAfterEveryStep = ScheduleMachine.TestCase
TestEveryInvariantHoldsAfterEveryStep.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None, database=None)


class FairScheduleMachine(ScheduleMachine):
    """The same commands with the fairness policy on: scores may be capped, never raised, and
    nobody waiting is overtaken more often than the policy allows."""

    def __init__(self) -> None:
        super().__init__()
        self.schedule.policy = Policy(FairnessPolicy(max_overtakes=1))

    @initialize(target=ScheduleMachine.slots)
    def open_a_big_evening_slot(self):
        """Room for several newcomers to pass one patient, so the policy has work to do."""
        return self.schedule.open_slot(self._slot(0, dt.time(20), dt.time(22), 8), NOW).id

    @invariant()
    def each_queue_is_a_total_order_following_the_policy(self):
        for slot in self.schedule.slots.values():
            order = queue_order(slot.tokens)
            key = lambda t: (t.status is not TokenStatus.CONSULTING,  # noqa: E731
                             not t.is_emergency, -t.priority_score, t.sequence_number)
            assert all(key(a) < key(b) for a, b in itertools.pairwise(order))
            assert all(t.priority_score <= priority_score(t.source) for t in slot.tokens)
            assert all(t.overtaken_count <= 1 for t in slot.tokens
                       if t.is_waiting and not t.is_emergency)


TestFairnessHoldsAfterEveryStep = FairScheduleMachine.TestCase
TestFairnessHoldsAfterEveryStep.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, database=None)
