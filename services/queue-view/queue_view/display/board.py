"""A doctor's board: what a waiting hall may see, and nothing more.

Built field by field from the read model, never by dumping a token: names, phones and
notes (which may hold a name) cannot reach the stream or the page because no field of
these shapes can hold them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts.vocabulary import TokenStatus
from queue_view.day import DoctorDay, InLine, doctor_day
from queue_view.models import Doctor, DoctorProgress
from queue_view.schemas import HourMinute
from queue_view.waits import Basis

__all__ = ["Board", "BoardToken", "build_boards"]


class BoardToken(BaseModel):
    token_number: str
    status: TokenStatus
    is_emergency: bool
    slot_start: HourMinute
    position: int
    estimated_wait_minutes: int


class Board(BaseModel):
    doctor_id: int
    doctor_name: str
    specialization: str
    room: str | None
    date: dt.date
    in_sync: bool = Field(description="False while an event of this doctor is missing")
    consulting: BoardToken | None
    next: list[BoardToken]
    waiting: int = Field(description="Live tokens of the day not yet being seen")
    minutes_per_patient: float | None
    wait_basis: Basis | None


def _shown(entry: InLine, slot_start: dt.time) -> BoardToken:
    token = entry.token
    return BoardToken(token_number=token.token_number, status=TokenStatus(token.status),
                      is_emergency=token.is_emergency, slot_start=slot_start,
                      position=entry.position,
                      estimated_wait_minutes=entry.estimated_wait_minutes)


def _board(doctor: Doctor, day: DoctorDay, in_sync: bool, next_count: int) -> Board:
    line = [_shown(entry, slot.slot.start_time) for slot in day.slots for entry in slot.queue]
    consulting = next((t for t in line if t.status is TokenStatus.CONSULTING), None)
    waiting = [t for t in line if t.status is not TokenStatus.CONSULTING]
    # The pace of the slot under way: the first one that still has a queue.
    current = next((slot for slot in day.slots if slot.queue), None) or (
        day.slots[0] if day.slots else None)
    return Board(
        doctor_id=doctor.id, doctor_name=doctor.name, specialization=doctor.specialization,
        room=doctor.room, date=day.date, in_sync=in_sync, consulting=consulting,
        next=waiting[:next_count], waiting=len(waiting),
        minutes_per_patient=current.pace.minutes_per_patient if current else None,
        wait_basis=current.pace.basis if current else None,
    )


async def build_boards(session: AsyncSession, doctor_ids: Iterable[int], date: dt.date,
                       next_count: int) -> list[Board]:
    """Boards of the doctors that exist, in the order given; unknown ids are skipped."""
    boards = []
    for doctor_id in doctor_ids:
        doctor = await session.get(Doctor, doctor_id)
        if doctor is None:
            continue
        progress = await session.get(DoctorProgress, doctor_id)
        in_sync = progress is None or progress.applied_count >= progress.max_seq
        day = await doctor_day(session, doctor_id, date)
        boards.append(_board(doctor, day, in_sync, next_count))
    return boards
