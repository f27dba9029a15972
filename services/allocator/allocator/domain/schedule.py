"""One doctor's schedule as loaded for one decision, and every decision made on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from allocator.domain.change import Booking, Change
from allocator.domain.delays import no_longer_fit
from allocator.domain.emergency import bump_candidate
from allocator.domain.errors import (
    Conflict,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    SlotClosed,
    SlotFull,
    SlotOverlap,
)
from allocator.domain.fairness import SlotBounds
from allocator.domain.model import Doctor, Slot, Token, new_ticket
from allocator.domain.policy import Policy, phone_digits
from allocator.domain.priority import priority_score, queue_order
from opd_contracts.vocabulary import MoveKind, TokenStatus

__all__ = ["Booking", "Change", "Schedule"]


@dataclass
class Schedule:
    doctor: Doctor
    slots: dict[int, Slot]
    counters: dict[dt.date, int] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)
    changes: list[Change] = field(default_factory=list)
    # Fairness's bounds of the slots booked into since this schedule was loaded, by slot id
    # (domain/fairness.py): every token joins a slot through `book` or `_admit`, and both
    # keep them (`_queued`).
    _bounds: dict[int, SlotBounds] = field(default_factory=dict, init=False, repr=False,
                                           compare=False)
    # The digits of every phone of this schedule's tokens, for the phone quota (policy.py),
    # and how many slots and tokens it held when they were found: `book` adds its token's;
    # anything else that changed those counts (slots a repository added) has them found anew.
    _phones: set[str] = field(default_factory=set, init=False, repr=False, compare=False)
    _phones_counted: tuple[int, int] = field(default=(-1, -1), init=False, repr=False,
                                             compare=False)
    # The tokens `book` made since a repository last took them (`take_new_tokens`): a mapped
    # slot's tokens join no session when appended (adapters/orm.py), so the repository adds
    # these itself. `book` is the one maker of tokens; every other change moves a token made.
    _new_tokens: list[Token] = field(default_factory=list, init=False, repr=False,
                                     compare=False)

    def take_new_tokens(self) -> list[Token]:
        """The tokens made since this was last called (see `_new_tokens`)."""
        new, self._new_tokens = self._new_tokens, []
        return new

    def slot(self, slot_id: int) -> Slot:
        slot = self.slots.get(slot_id)
        if slot is None or slot.doctor_id != self.doctor.id:
            raise NotFound(f"slot {slot_id} of doctor {self.doctor.id} does not exist")
        return slot

    def token(self, token_id: int) -> Token:
        for slot in self.slots.values():
            for token in slot.tokens:
                if token.id == token_id:
                    return token
        raise NotFound(f"token {token_id} does not exist")

    def reachable_token(self, token_id: int, channel: str | None) -> Token:
        """A channel's key (`channel` set) reaches only the tokens that channel booked; any
        other answers as a missing one does, word for word, so ids cannot be probed."""
        token = self.token(token_id)
        if channel is not None and token.channel != channel:
            raise NotFound(f"token {token_id} does not exist")
        return token

    def open_slot(self, slot: Slot, now: dt.datetime) -> Slot:
        """Slots of one doctor never overlap; touching end to start is fine."""
        if slot.start_time >= slot.end_time:
            raise InvalidRequest("a slot must end after it starts")
        if slot.max_capacity < 1:  # a slot with no place has no time per patient (see delay)
            raise InvalidRequest("a slot must have at least one place")
        if slot.is_over(_local(now)):
            raise SlotClosed(f"the slot {slot.date} {slot.end_time:%H:%M} is already over")
        for other in self.slots.values():
            if other.date == slot.date and other.overlaps(slot.start_time, slot.end_time):
                raise SlotOverlap(
                    f"overlaps slot {other.id} ({other.start_time:%H:%M}-{other.end_time:%H:%M})"
                )
        self.slots[slot.id] = slot
        self.changes.append(Change.of("slot.opened", [], [slot]))
        return slot

    def resize_slot(self, slot_id: int, max_capacity: int, now: dt.datetime) -> Slot:
        """Capacity can grow, or shrink as far as the tokens already holding a place."""
        slot = self._open(self.slot(slot_id), now)
        if max_capacity < slot.current_count - slot.overflow_count:
            raise Conflict(f"slot {slot.id} already holds {slot.current_count} tokens; "
                           f"it cannot shrink to {max_capacity} places")
        slot.max_capacity = max_capacity
        self.changes.append(Change.of("slot.updated", [], [slot]))
        return slot

    def book(self, booking: Booking, now: dt.datetime) -> Token:
        """A place if the slot has room; an emergency always gets in (bumping or overflowing)."""
        slot = self._open(self.slot(booking.slot_id), now)
        known = self._known_phones()  # a bump below moves a token: it counts the same
        if not booking.emergency:
            self.policy.check_phone_quota(list(self.slots.values()), booking.patient_phone, now,
                                          known)
        overflow = False
        if not slot.has_room:
            if not booking.emergency:
                raise SlotFull(f"slot {slot.id} is full ({slot.max_capacity} places)")
            overflow = not self._bump_for_emergency(slot, now)
        # Numbered only once admitted: a refused booking must not use up a number. Made
        # scored and placed, as `_admit` would leave it: on a mapped token each attribute set
        # is a Python call through the ORM's events, and a new record needs none of them
        # (it is written whole from its fields: adapters/record_writes.py). Five sets fewer
        # took a booking from 38 to 31 us over 4 mapped slots of 200, the sources mixed
        # (bench/book_cost.py --mixed --capacity 200, medians of 5 alternated runs).
        natural = priority_score(booking.source)
        score = self._fair_score(slot, natural, booking.emergency)
        token = Token(
            id=booking.token_id, token_number=self._next_number(slot.date),
            patient_name=booking.patient_name, patient_phone=booking.patient_phone,
            doctor_id=self.doctor.id, slot_id=slot.id, source=booking.source,
            status=TokenStatus.ALLOCATED, priority_score=score,
            sequence_number=slot.take_place(overflow), allocated_at=now,
            is_emergency=booking.emergency, is_overflow=overflow, notes=booking.notes,
            moved_from_slot_id=booking.moved_from_slot_id, move_reason=booking.move_reason,
            channel=booking.channel, abha_number=booking.abha_number,
            ticket=booking.ticket or new_ticket(),
        )
        slot.tokens.append(token)
        self._new_tokens.append(token)
        reason = self._queued(token, slot, natural, score)
        if booking.patient_phone:  # the token's, read without the ORM's attribute call
            known.add(phone_digits(booking.patient_phone))
        slots, tokens = self._phones_counted
        self._phones_counted = (slots, tokens + 1)
        self.changes.append(Change.of("token.allocated", [token], [slot], reason=reason,
                                      move_kind=MoveKind.FAIRNESS if reason else None))
        return token

    def change_status(self, token_id: int, to: TokenStatus, now: dt.datetime) -> Token:
        token = self.token(token_id)
        before = token.status
        token.transition(to, now)
        slot = self.slot(token.slot_id)
        if not token.holds_place:
            slot.release(token)
        self.changes.append(
            Change.of("token.status_changed", [token], [slot], previous_status=before))
        return token

    def reallocate(self, token_id: int, new_slot_id: int, reason: str | None,
                   now: dt.datetime) -> Token:
        """Only a waiting token moves, to a slot with room; it queues there anew."""
        token = self.waiting_token(token_id)
        target = self.slot_with_room(new_slot_id, now)
        if target.id == token.slot_id:
            raise InvalidRequest(f"token {token.token_number} is already in slot {target.id}")
        self._move(token, target, reason or "reallocated", MoveKind.REALLOCATION)
        return token

    def call_next(self, slot_id: int | None, now: dt.datetime) -> Token:
        """Close the consultation in progress, then call the head of the queue in."""
        slots = [self.slot(slot_id)] if slot_id else self._today(now)
        waiting = [t for s in slots for t in queue_order(s.tokens) if t.is_waiting]
        if not waiting:
            raise NotFound(f"no patient is waiting for doctor {self.doctor.id}")
        for token in [t for s in self.slots.values() for t in s.tokens]:
            if token.status is TokenStatus.CONSULTING:
                self.change_status(token.id, TokenStatus.COMPLETED, now)
        head = waiting[0]
        if head.status is TokenStatus.ALLOCATED:
            self.change_status(head.id, TokenStatus.CHECKED_IN, now)
        return self.change_status(head.id, TokenStatus.CONSULTING, now)

    def delay(self, minutes: int, reason: str | None, now: dt.datetime) -> list[tuple[Token, int]]:
        """Tokens that no longer fit today's remaining time move to the next days' slots,
        keeping their relative order. Returns each moved token with the slot it left."""
        later = sorted((s for s in self.slots.values()
                        if s.date > _local(now).date() and s.is_active),
                       key=lambda s: s.starts_at)
        why = f"doctor delayed {minutes} min" + (f": {reason}" if reason else "")
        moved: list[tuple[Token, int]] = []
        for token in no_longer_fit(self._today(now), minutes, now):
            target = next((s for s in later if s.has_room), None)
            if target is None:
                break  # nowhere to go: they keep their place and wait longer
            origin = token.slot_id
            self._move(token, target, why, MoveKind.DELAY)
            moved.append((token, origin))
        return moved

    def waiting_token(self, token_id: int) -> Token:
        token = self.token(token_id)
        if not token.is_waiting:
            raise InvalidTransition(f"token {token.token_number} is {token.status}, not waiting")
        return token

    def slot_with_room(self, slot_id: int, now: dt.datetime) -> Slot:
        slot = self._open(self.slot(slot_id), now)
        if not slot.has_room:
            raise SlotFull(f"slot {slot.id} is full ({slot.max_capacity} places)")
        return slot

    def _admit(self, token: Token, slot: Slot, overflow: bool = False) -> str | None:
        """Score the token for `slot` (fairness may cap it), then give it the slot's next
        sequence. Returns why the score was capped, if it was."""
        natural = priority_score(token.source)
        token.priority_score = score = self._fair_score(slot, natural, token.is_emergency)
        token.overtaken_count = 0
        slot.admit(token, overflow=overflow)
        return self._queued(token, slot, natural, score)

    def _fair_score(self, slot: Slot, natural: int, emergency: bool) -> int:
        """A newcomer's score in `slot`, read from the slot's fairness bounds."""
        fairness = self.policy.fairness
        bounds = self._bounds.get(slot.id)
        if bounds is None or bounds.limit != fairness.max_overtakes:
            bounds = self._bounds[slot.id] = SlotBounds.of(slot, fairness.max_overtakes)
        return fairness.score_for(slot, natural, emergency, bounds)

    def _queued(self, token: Token, slot: Slot, natural: int, score: int) -> str | None:
        """`token` joined `slot` with `score` (its `natural` one, unless fairness capped it):
        those it is queued ahead of are overtaken. Returns why the score was capped, if it
        was."""
        fairness, bounds = self.policy.fairness, self._bounds[slot.id]
        bounds.admitted(score)
        fairness.count_overtakes(slot, token, bounds)
        if score < natural:
            return (f"fairness: queued behind patients overtaken {fairness.max_overtakes}"
                    f" times (score {score} instead of {natural})")
        return None

    def _known_phones(self) -> set[str]:
        """`_phones`, found anew if slots or tokens came in other than by `book`."""
        counted = (len(self.slots), sum(len(s.tokens) for s in self.slots.values()))
        if counted != self._phones_counted:
            self._phones = {phone_digits(t.patient_phone) for s in self.slots.values()
                            for t in s.tokens if t.patient_phone}
            self._phones_counted = counted
        return self._phones

    def _open(self, slot: Slot, now: dt.datetime) -> Slot:
        if not slot.is_active or slot.is_over(_local(now)):
            raise SlotClosed(f"slot {slot.id} ({slot.date} {slot.end_time:%H:%M}) is closed")
        return slot

    def _bump_for_emergency(self, slot: Slot, now: dt.datetime) -> bool:
        found = bump_candidate(slot, self.slots.values(), now)
        if found is None:
            return False
        victim, target = found
        self._move(victim, target, f"moved from slot {slot.id} to make room for an emergency",
                   MoveKind.EMERGENCY_BUMP)
        return True

    def _move(self, token: Token, target: Slot, reason: str, kind: MoveKind) -> None:
        origin = self.slot(token.slot_id)
        origin.remove(token)
        token.moved_from_slot_id = origin.id
        token.move_reason = reason
        self._admit(token, target)
        self.changes.append(Change.of("token.moved", [token], [origin, target], reason=reason,
                                      move_kind=kind))

    def _next_number(self, date: dt.date) -> str:
        """DOC{doctor}-{YYYYMMDD}-{NNNN}: per doctor and date, so future dates never collide."""
        number = self.counters[date] = self.counters.get(date, 0) + 1
        return f"DOC{self.doctor.id}-{_day_text(date)}-{number:04d}"

    def _today(self, now: dt.datetime) -> list[Slot]:
        today = _local(now).date()
        return sorted((s for s in self.slots.values() if s.date == today),
                      key=lambda s: s.starts_at)


@lru_cache(maxsize=64)
def _day_text(date: dt.date) -> str:
    """YYYYMMDD, formatted once a date: by `strftime` for every booking its token number
    took 2.2 us, now 0.5 (timeit), and a day's bookings share a handful of dates."""
    return f"{date:%Y%m%d}"


def _local(now: dt.datetime) -> dt.datetime:
    """Slot times are the hospital's wall-clock times; `now` arrives in the hospital's zone."""
    return now.replace(tzinfo=None)
