"""Snapshots of the allocator's records, in the v1 API's field names (docs/API.md).

They travel in replies (and so become HTTP bodies) and in events (and so feed the read
models), which keeps every consumer a simple upsert of the latest snapshot.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, computed_field

from opd_contracts import bounds
from opd_contracts.vocabulary import Source, TokenStatus

__all__ = ["ClockTime", "DoctorRecord", "SlotRecord", "TokenRecord"]


def _hh_mm(time: dt.time) -> str:
    """The v1 API writes times as HH:MM, whatever else a time carries (seconds, microseconds,
    an offset: all dropped, as `strftime("%H:%M")` did). `isoformat()` always starts with
    exactly that, and its first five characters cost 0.77 µs a time against strftime's
    1.27 (median of seven alternated runs on this 2-core machine); every slot snapshot in an
    event or reply carries two."""
    return time.isoformat()[:5]


ClockTime = Annotated[dt.time, PlainSerializer(_hh_mm, return_type=str)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class DoctorRecord(_Record):
    id: int
    name: str
    specialization: str
    room: str | None = None
    is_active: bool = True
    created_at: dt.datetime


class SlotRecord(_Record):
    id: int
    doctor_id: int
    date: dt.date
    start_time: ClockTime = Field(examples=["09:00"])
    end_time: ClockTime = Field(examples=["10:00"])
    max_capacity: int
    current_count: int = Field(description="Tokens holding a place, overflow included")
    overflow_count: int = 0
    is_active: bool = True

    @computed_field
    @property
    def available_capacity(self) -> int:
        return max(self.max_capacity - self.current_count, 0)

    @computed_field
    @property
    def is_full(self) -> bool:
        return self.current_count >= self.max_capacity


class TokenRecord(_Record):
    id: int
    token_number: str = Field(examples=["DOC1-20260130-0042"])
    patient_name: str
    patient_phone: str | None = None
    doctor_id: int
    slot_id: int
    source: Source
    status: TokenStatus
    priority_score: int
    sequence_number: int
    is_emergency: bool = False
    is_overflow: bool = False
    allocated_at: dt.datetime
    checked_in_at: dt.datetime | None = None
    consultation_started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = Field(None, description="When cancelled or marked no-show")
    notes: str | None = None
    moved_from_slot_id: int | None = None
    move_reason: str | None = None
    overtaken_count: int = Field(0, description="Newcomers queued ahead of it (fairness)")
    channel: str | None = Field(None, description="The channel that booked it: a channel's "
                                                  "key reaches only its own tokens")
    abha_number: str | None = Field(None, description="The patient's ABHA number, "
                                                      "xx-xxxx-xxxx-xxxx, when one was given")
    # Optional: events written before tickets existed still parse (and carry none).
    ticket: str | None = Field(
        None, max_length=bounds.TICKET_MAX, examples=["q3Xv0bq2H1c9kQ2mZr7uJw"],
        description="The unguessable code of the patient's live page (/t/{ticket} on "
                    "queue-view) and of the slip's QR code; it follows a patient transferred "
                    "to a colleague")
