"""Where a patient stands, as their live page and their slip show it.

One function builds it for both, from the same doctor's day the boards and the position API
use (`queue_view.day`), so the page, the slip and the hall agree. It carries the doctor's
name and room, never the patient's name or phone.

The expected time window: the wait is counted from the slot's start, or from now once the
slot is under way (`queue_view.waits`), and the window runs from that moment, floored to
5 minutes, to one pace (at least `MIN_WINDOW`) later, ceiled to 5 minutes: patients read
"10:15 – 10:30" more easily than "10:17", and a window that promises less precision than
we have is kept more often.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts.vocabulary import TokenStatus
from queue_view.day import doctor_day
from queue_view.models import Doctor, Slot, Token
from queue_view.waits import wait_minutes

__all__ = ["MIN_WINDOW", "LiveStatus", "live_status"]

MIN_WINDOW = dt.timedelta(minutes=15)
_FIVE = 5 * 60


@dataclass(frozen=True)
class LiveStatus:
    token_id: int
    token_number: str
    status: TokenStatus
    doctor_name: str | None
    specialization: str | None
    room: str | None
    date: dt.date
    slot_start: dt.time
    slot_end: dt.time
    position: int | None  # 1: being seen, or next; None once no longer in the queue
    ahead: int | None
    wait_minutes: int | None
    expected_from: dt.datetime | None  # in the hospital's time zone
    expected_to: dt.datetime | None

    @property
    def in_queue(self) -> bool:
        return self.position is not None

    @property
    def short_number(self) -> str:
        """The counter part of the token number (0042), the part the hall calls out."""
        return self.token_number.rsplit("-", 1)[-1]


def _floor(moment: dt.datetime) -> dt.datetime:
    return moment - dt.timedelta(seconds=int(moment.timestamp()) % _FIVE,
                                 microseconds=moment.microsecond)


def _ceil(moment: dt.datetime) -> dt.datetime:
    floored = _floor(moment)
    return floored if floored == moment else floored + dt.timedelta(seconds=_FIVE)


def window(slot: Slot, minutes: int, pace: float, zone: ZoneInfo,
           now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = max(dt.datetime.combine(slot.date, slot.start_time, zone), now.astimezone(zone))
    expected = start + dt.timedelta(minutes=minutes)
    return _floor(expected), _ceil(expected + max(MIN_WINDOW, dt.timedelta(minutes=pace)))


async def live_status(session: AsyncSession, token: Token, timezone: str,
                      now: dt.datetime | None = None) -> LiveStatus | None:
    """None while the token's slot has not arrived in the read model (events of one doctor
    may arrive in any order): the page then says it is being prepared."""
    slot = await session.get(Slot, token.slot_id)
    if slot is None:
        return None
    doctor = await session.get(Doctor, token.doctor_id)
    day = await doctor_day(session, token.doctor_id, slot.date)
    slot_day = next(d for d in day.slots if d.slot.id == slot.id)
    entry = day.find(token.id)
    minutes = wait_minutes(entry.ahead, slot_day.pace) if entry else None
    expected: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    if minutes is not None and token.status != TokenStatus.CONSULTING.value:
        expected = window(slot, minutes, slot_day.pace.minutes_per_patient, ZoneInfo(timezone),
                          now or dt.datetime.now(dt.UTC))
    return LiveStatus(
        token_id=token.id, token_number=token.token_number, status=TokenStatus(token.status),
        doctor_name=doctor.name if doctor else None,
        specialization=doctor.specialization if doctor else None,
        room=doctor.room if doctor else None, date=slot.date, slot_start=slot.start_time,
        slot_end=slot.end_time, position=entry.position if entry else None,
        ahead=entry.ahead if entry else None, wait_minutes=minutes,
        expected_from=expected[0], expected_to=expected[1])
