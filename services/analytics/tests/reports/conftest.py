"""A hand-built day at two doctors' (2026-02-10, hospital time), with every figure of it
counted by hand in the tests. Times are Asia/Kolkata wall-clock times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from opd_contracts import EventEnvelope, EventType, SlotRecord, TokenRecord
from opd_contracts.vocabulary import MoveKind, Source, TokenStatus

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 2, 10)
S, ST = Source, TokenStatus
STAMP = {ST.CHECKED_IN: "checked_in_at", ST.CONSULTING: "consultation_started_at",
         ST.COMPLETED: "completed_at", ST.NO_SHOW: "closed_at", ST.CANCELLED: "closed_at"}


def at(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), IST)


@dataclass
class Day:
    """One doctor's part of the day: its events in `seq` order."""

    history: object
    events: list[EventEnvelope] = field(default_factory=list)

    def add(self, type: EventType, **snapshots) -> EventEnvelope:
        event = self.history.event(type, **snapshots)
        self.events.append(event)
        return event

    def slot(self, day: dt.date, start: int, end: int, capacity: int) -> SlotRecord:
        slot = self.history.slot(day, capacity).model_copy(
            update={"start_time": dt.time(start), "end_time": dt.time(end)})
        self.add(EventType.SLOT_OPENED, slots=[slot])
        return slot

    def book(self, slot: SlotRecord, source: Source, booked: dt.datetime,
             **flags: bool) -> TokenRecord:
        token = self.history.token(slot, source, **flags).model_copy(
            update={"allocated_at": booked})
        self.add(EventType.TOKEN_ALLOCATED, tokens=[token], slots=[slot])
        return token

    def live(self, token: TokenRecord, *steps: tuple[TokenStatus, dt.datetime]) -> TokenRecord:
        """Status changes without the slot, as a bare history may have them."""
        for status, when in steps:
            before = token.status
            token = token.model_copy(update={"status": status, STAMP[status]: when})
            self.add(EventType.TOKEN_STATUS_CHANGED, tokens=[token], previous_status=before)
        return token

    def move(self, token: TokenRecord, origin: SlotRecord, target: SlotRecord,
             reason: str, kind: MoveKind) -> TokenRecord:
        token = token.model_copy(update={"slot_id": target.id, "moved_from_slot_id": origin.id,
                                         "move_reason": reason})
        self.add(EventType.TOKEN_MOVED, tokens=[token], slots=[origin, target], reason=reason,
                 move_kind=kind)
        return token


def doctor_a(history) -> Day:
    """Cardiology: three seen, a no-show, a cancellation, one moved to tomorrow by a delay."""
    a = Day(history())
    a.history.doctor = a.history.doctor.model_copy(update={"specialization": "Cardiology"})
    a.add(EventType.DOCTOR_REGISTERED, doctor=a.history.doctor)
    s1, s2 = a.slot(DAY, 9, 10, 3), a.slot(DAY + dt.timedelta(days=1), 9, 10, 5)
    t1 = a.book(s1, S.WALK_IN, at(8, 10))
    a.live(t1, (ST.CHECKED_IN, at(8, 15)), (ST.CONSULTING, at(8, 40)), (ST.COMPLETED, at(8, 52)))
    t2 = a.book(s1, S.ONLINE, at(20, 0, DAY - dt.timedelta(days=2)))
    a.live(t2, (ST.CHECKED_IN, at(8, 50)), (ST.CONSULTING, at(9, 5)), (ST.COMPLETED, at(9, 20)))
    t3 = a.book(s1, S.PRIORITY, at(9, 2), is_emergency=True, is_overflow=True)
    a.live(t3, (ST.CHECKED_IN, at(9, 2)), (ST.CONSULTING, at(9, 10)), (ST.COMPLETED, at(9, 40)))
    a.live(a.book(s1, S.WALK_IN, at(8, 30)), (ST.NO_SHOW, at(10, 0)))
    a.live(a.book(s1, S.FOLLOW_UP, at(8, 45)), (ST.CANCELLED, at(8, 50)))
    t6 = a.live(a.book(s1, S.WALK_IN, at(8, 20)), (ST.CHECKED_IN, at(8, 25)))
    a.move(t6, s1, s2, "doctor delayed 45 min: ward round", MoveKind.DELAY)
    return a


def doctor_b(history) -> Day:
    """Orthopaedics: one seen, three waiting, two of them moved to a later slot."""
    b = Day(history())
    b.history.doctor = b.history.doctor.model_copy(update={"specialization": "Orthopaedics"})
    b.add(EventType.DOCTOR_REGISTERED, doctor=b.history.doctor)
    s3, s4 = b.slot(DAY, 10, 12, 2), b.slot(DAY, 13, 14, 3)
    t7 = b.book(s3, S.ONLINE, at(9, 30))
    b.live(t7, (ST.CHECKED_IN, at(10, 5)), (ST.CONSULTING, at(10, 30)),
           (ST.COMPLETED, at(10, 40)))
    t8, t9 = b.book(s3, S.WALK_IN, at(10, 10)), b.book(s3, S.WALK_IN, at(10, 15))
    b.book(s3, S.PRIORITY, at(10, 16), is_emergency=True)
    b.move(t8, s3, s4, "patient asked for the afternoon", MoveKind.REALLOCATION)
    b.move(t9, s3, s4, f"moved from slot {s3.id} to make room for an emergency",
           MoveKind.EMERGENCY_BUMP)
    return b


def shuffled(events: list[EventEnvelope]) -> list[EventEnvelope]:
    """Status changes first (before any event has told of their slot), newest first, and
    four events delivered twice."""
    bare = [e for e in events if e.tokens and not e.slots]
    rest = [e for e in events if not (e.tokens and not e.slots)]
    return [*reversed(bare), *reversed(rest), *bare[:2], *rest[:2]]


@pytest.fixture
def hospital_day(history):
    """(doctor A, doctor B, the events as delivered, how many distinct events)."""
    a, b = doctor_a(history), doctor_b(history)
    delivered = shuffled(a.events) + shuffled(b.events)
    return a.history.doctor, b.history.doctor, delivered, len(a.events) + len(b.events)
