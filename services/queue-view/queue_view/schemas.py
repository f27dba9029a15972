"""HTTP shapes, in the v1 field names (docs/API.md); `queue_view.views` builds them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer, computed_field

from opd_contracts import DoctorRecord, SlotRecord, TokenRecord
from opd_contracts.vocabulary import TokenStatus
from queue_view.waits import Basis

__all__ = [
    "DayOut", "DoctorOut", "HourMinute", "PositionOut", "QueueEntryOut", "SlotDayOut", "SlotOut",
    "TokenOut",
]

HourMinute = Annotated[
    dt.time, PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json")
]


# Names and phones are for the desk and staff, and for a channel's own patients (docs/API.md,
# Access): other keys and anonymous readers get the same shape with these fields null.
_PRIVATE = ("null unless the caller's key may read patients (desk, staff, admin) or booked "
            "this token (a channel's own patient); always null for reads without a key")


class DoctorOut(DoctorRecord):
    """A doctor as the allocator's events last showed it."""


class SlotOut(SlotRecord):
    """A slot with its live counts, as the allocator's events last showed it."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def utilisation(self) -> float:
        """Share of capacity taken; above 1.0 when emergencies overflowed the slot."""
        return round(self.current_count / self.max_capacity, 3) if self.max_capacity else 0.0


class TokenOut(TokenRecord):
    """The contract's token, with what identifies the patient null for callers who may not
    see it (`queue_view.views.token_out`)."""

    patient_name: str | None = Field(description=_PRIVATE)  # type: ignore[assignment]
    patient_phone: str | None = Field(description=_PRIVATE)
    notes: str | None = Field(description="Free text that may name the patient: " + _PRIVATE)
    channel: str | None = Field(None, description="The channel that booked it: " + _PRIVATE)
    abha_number: str | None = Field(None, description="The patient's ABHA number: " + _PRIVATE)
    ticket: str | None = Field(None, description="The code of the patient's live page "
                                                 "(/t/{ticket}): " + _PRIVATE)


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
