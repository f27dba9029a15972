"""HTTP shapes, in the v1 field names (docs/API.md); `queue_view.views` builds them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, computed_field

from opd_contracts.vocabulary import Source, TokenStatus
from queue_view.waits import Basis

__all__ = [
    "DayOut", "DoctorOut", "HourMinute", "PositionOut", "QueueEntryOut", "SlotDayOut", "SlotOut",
    "TokenOut",
]

HourMinute = Annotated[
    dt.time, PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json")
]


# Names and phones are for the desk and staff only (docs/API.md, Access): other keys and
# anonymous readers get the same shape with these fields null, never absent.
_PRIVATE = ("null unless the caller's key may read patients (desk, staff, admin); "
            "always null for other keys and for reads without a key")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DoctorOut(_Out):
    id: int
    name: str
    specialization: str
    room: str | None
    is_active: bool
    created_at: dt.datetime


class SlotOut(_Out):
    id: int
    doctor_id: int
    date: dt.date
    start_time: HourMinute = Field(examples=["09:00"])
    end_time: HourMinute = Field(examples=["10:00"])
    max_capacity: int
    current_count: int = Field(description="Tokens holding a place, overflow included")
    overflow_count: int
    is_active: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available_capacity(self) -> int:
        return max(self.max_capacity - self.current_count, 0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_full(self) -> bool:
        return self.current_count >= self.max_capacity

    @computed_field  # type: ignore[prop-decorator]
    @property
    def utilisation(self) -> float:
        """Share of capacity taken; above 1.0 when emergencies overflowed the slot."""
        return round(self.current_count / self.max_capacity, 3) if self.max_capacity else 0.0


class TokenOut(_Out):
    id: int
    token_number: str = Field(examples=["DOC1-20260130-0042"])
    patient_name: str | None = Field(description=_PRIVATE)
    patient_phone: str | None = Field(description=_PRIVATE)
    doctor_id: int
    slot_id: int
    source: Source
    status: TokenStatus
    priority_score: int
    sequence_number: int
    is_emergency: bool
    is_overflow: bool
    allocated_at: dt.datetime
    checked_in_at: dt.datetime | None
    consultation_started_at: dt.datetime | None
    completed_at: dt.datetime | None
    closed_at: dt.datetime | None
    notes: str | None = Field(description="Free text that may name the patient: " + _PRIVATE)
    moved_from_slot_id: int | None
    move_reason: str | None
    overtaken_count: int = Field(description="Newcomers queued ahead of it (fairness)")
    channel: str | None = Field(None, description="The channel that booked it: " + _PRIVATE)


class QueueEntryOut(TokenOut):
    position: int = Field(ge=1, description="1 is the patient being seen or next in line")
    estimated_wait_minutes: int = Field(
        ge=0, description="(position - 1) x minutes per patient, rounded up")


class SlotDayOut(SlotOut):
    minutes_per_patient: float = Field(description="Pace used for this slot's waits")
    wait_basis: Basis = Field(description="planned: slot length / capacity; measured: median "
                                          "consultation of the doctor's day")
    queue: list[QueueEntryOut]


class DayOut(BaseModel):
    doctor: DoctorOut
    date: dt.date
    slots: list[SlotDayOut]


class PositionOut(BaseModel):
    """A patient's own view: no name or phone, since token numbers can be guessed."""

    token_number: str
    status: TokenStatus
    doctor_id: int
    slot_id: int
    room: str | None
    position: int | None = Field(description="In the slot's queue; null once no longer live")
    ahead: int | None = Field(description="Live tokens before this one, the one consulting "
                                          "included")
    estimated_wait_minutes: int | None
    minutes_per_patient: float
    wait_basis: Basis
