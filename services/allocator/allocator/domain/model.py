"""Doctors, slots and tokens, and the one transition function of a token's life."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, fields

from allocator.domain.errors import InvalidTransition
from opd_contracts.vocabulary import HOLDS_PLACE, WAITING, Source, TokenStatus

__all__ = ["TRANSITIONS", "Doctor", "Slot", "Token", "new_ticket", "snapshot"]

S = TokenStatus
TRANSITIONS: dict[TokenStatus, frozenset[TokenStatus]] = {
    S.ALLOCATED: frozenset({S.CHECKED_IN, S.NO_SHOW, S.CANCELLED}),
    S.CHECKED_IN: frozenset({S.CONSULTING, S.NO_SHOW, S.CANCELLED}),
    S.CONSULTING: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}


def new_ticket() -> str:
    """128 random bits as 22 url-safe characters: the key-less address of a patient's live
    page. Not the token number or id, which anyone can count through."""
    return secrets.token_urlsafe(16)


@dataclass
class Doctor:
    id: int
    name: str
    specialization: str
    room: str | None
    created_at: dt.datetime
    is_active: bool = True


@dataclass
class Token:
    id: int
    token_number: str
    patient_name: str
    patient_phone: str | None
    doctor_id: int
    slot_id: int
    source: Source
    status: TokenStatus
    priority_score: int
    sequence_number: int
    allocated_at: dt.datetime
    is_emergency: bool = False
    is_overflow: bool = False
    checked_in_at: dt.datetime | None = None
    consultation_started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    notes: str | None = None
    moved_from_slot_id: int | None = None
    move_reason: str | None = None
    overtaken_count: int = 0  # how often a newcomer was queued ahead (fairness policy)
    channel: str | None = None  # who booked: a channel's key reaches only its own tokens
    abha_number: str | None = None  # the patient's ABHA number, xx-xxxx-xxxx-xxxx
    ticket: str | None = None  # the patient's live-page code (new_ticket), not guessable

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDS_PLACE

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING

    def transition(self, to: TokenStatus, now: dt.datetime) -> None:
        """The only way a token's status changes."""
        if to not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"token {self.token_number} cannot go from {self.status} to {to}")
        self.status = to
        if to is S.CHECKED_IN:
            self.checked_in_at = now
        elif to is S.CONSULTING:
            self.consultation_started_at = now
        elif to is S.COMPLETED:
            self.completed_at = now
        else:
            self.closed_at = now


@dataclass
class Slot:
    id: int
    doctor_id: int
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    max_capacity: int
    current_count: int = 0
    overflow_count: int = 0
    last_sequence: int = 0
    is_active: bool = True
    tokens: list[Token] = field(default_factory=list)

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start_time)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.end_time)

    @property
    def has_room(self) -> bool:
        # Overflow tokens occupy places too: a freed place first absorbs the overflow.
        return self.current_count < self.max_capacity

    @property
    def minutes_per_patient(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 60 / self.max_capacity

    def is_over(self, now: dt.datetime) -> bool:
        return now >= self.ends_at

    def overlaps(self, start: dt.time, end: dt.time) -> bool:
        return start < self.end_time and self.start_time < end

    def admit(self, token: Token, *, overflow: bool = False) -> None:
        token.sequence_number = self.take_place(overflow)
        token.slot_id = self.id
        token.is_overflow = overflow
        self.tokens.append(token)

    def take_place(self, overflow: bool = False) -> int:
        """A place (an overflow one beyond capacity) and its sequence, for a token made with
        them and then appended to `tokens`; `admit` does both for a token already made."""
        self.last_sequence += 1
        self.current_count += 1
        if overflow:
            self.overflow_count += 1
        return self.last_sequence

    def release(self, token: Token) -> None:
        """Give back the place `token` held; callers release a token exactly once."""
        self.current_count -= 1
        if token.is_overflow:
            self.overflow_count -= 1

    def remove(self, token: Token) -> None:
        self.release(token)
        self.tokens.remove(token)


# Each kind's field names, found once: `fields()` builds them anew on every call, and every
# change of every booking snapshots its token and slot.
_SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(f.name for f in fields(kind) if f.name != "tokens") for kind in (Token, Slot)}


def snapshot(record: Token | Slot) -> dict[str, object]:
    """The record's fields as they are now (a slot without its tokens): what an event shows.

    Read from the record's `__dict__`, where a dataclass keeps its fields: a record the
    adapters map (adapters/orm.py) answers each attribute read with a Python call, and a
    token's 24 of them cost about 10 us (a dictionary's look-ups: 4). A field missing from
    the `__dict__` (one a mapping left unloaded) is read as an attribute after all."""
    names, values = _SNAPSHOT_FIELDS[type(record)], record.__dict__
    try:
        return {name: values[name] for name in names}
    except KeyError:
        return {name: getattr(record, name) for name in names}
