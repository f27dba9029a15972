"""Tiny factories for the allocator's pure domain: one doctor's schedule at a fixed clock."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from allocator.domain.model import Doctor, Slot, Token
from allocator.domain.schedule import Booking, Schedule
from opd_contracts.vocabulary import Source, TokenStatus

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
DAY_ONE = dt.date(2030, 3, 4)
NOW = dt.datetime.combine(DAY_ONE, dt.time(8, 0), IST)  # before the first slot of day one

_ids = itertools.count(1)


def new_id() -> int:
    return next(_ids)


def wall_clock(hhmm: str, day: int = 0) -> dt.datetime:
    """An aware `now` in the hospital's zone, `day` days after day one."""
    return dt.datetime.combine(DAY_ONE + dt.timedelta(days=day), dt.time.fromisoformat(hhmm), IST)


@dataclass
class Clinic:
    """One doctor's schedule, with factories that give every slot and token a fresh id."""

    schedule: Schedule
    now: dt.datetime = NOW

    def at(self, hhmm: str, day: int = 0) -> dt.datetime:
        return wall_clock(hhmm, day)

    def date(self, day: int = 0) -> dt.date:
        return DAY_ONE + dt.timedelta(days=day)

    def new_slot(self, start: str = "09:00", end: str = "10:00", *, day: int = 0,
                 capacity: int = 2) -> Slot:
        return Slot(id=new_id(), doctor_id=self.schedule.doctor.id,
                    date=self.date(day), start_time=dt.time.fromisoformat(start),
                    end_time=dt.time.fromisoformat(end), max_capacity=capacity)

    def open(self, start: str = "09:00", end: str = "10:00", *, day: int = 0,
             capacity: int = 2) -> Slot:
        return self.schedule.open_slot(self.new_slot(start, end, day=day, capacity=capacity),
                                       self.now)

    def booking(self, slot: Slot, source: Source = Source.ONLINE, *, emergency: bool = False,
                phone: str | None = "+91 98450 12345") -> Booking:
        token_id = new_id()
        return Booking(token_id=token_id, slot_id=slot.id, patient_name=f"Patient {token_id}",
                       patient_phone=phone, source=source, emergency=emergency)

    def book(self, slot: Slot, source: Source = Source.ONLINE, *, emergency: bool = False,
             phone: str | None = "+91 98450 12345", now: dt.datetime | None = None) -> Token:
        booking = self.booking(slot, source, emergency=emergency, phone=phone)
        return self.schedule.book(booking, now or self.now)

    def fill(self, slot: Slot, source: Source = Source.WALK_IN) -> list[Token]:
        return [self.book(slot, source) for _ in range(slot.max_capacity - slot.current_count)]

    def walk(self, token: Token, *statuses: TokenStatus) -> Token:
        """Take `token` through `statuses`, one change at a time."""
        for status in statuses:
            self.schedule.change_status(token.id, status, self.now)
        return token


def new_clinic() -> Clinic:
    doctor = Doctor(id=new_id(), name="Dr. Sarah Johnson", specialization="General Medicine",
                    room="101", created_at=NOW)
    return Clinic(Schedule(doctor=doctor, slots={}))


@pytest.fixture
def clinic() -> Clinic:
    return new_clinic()


@pytest.fixture
def make_clinic() -> Callable[[], Clinic]:
    return new_clinic
