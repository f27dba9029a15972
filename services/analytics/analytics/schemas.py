"""HTTP shapes of the management figures, in the v1 field names plus a few of our own."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

__all__ = ["DoctorDayAnalytics", "HistoryEntry", "SlotAnalytics", "SystemStatus"]


class SystemStatus(BaseModel):
    date: dt.date = Field(description="The day counted: today in the hospital's zone by default")
    total_doctors: int
    active_doctors: int
    total_slots_today: int
    total_tokens_today: int
    tokens_by_status: dict[str, int] = Field(examples=[{"allocated": 245, "completed": 27}])
    tokens_by_source: dict[str, int] = Field(examples=[{"online": 128, "walk_in": 96}])


class SlotAnalytics(BaseModel):
    slot_id: int
    doctor_id: int
    doctor_name: str | None = Field(description="None until the doctor's snapshot has arrived")
    date: dt.date
    start_time: str = Field(examples=["09:00"])
    end_time: str = Field(examples=["10:00"])
    is_active: bool
    total_capacity: int = Field(description="The v1 name for max_capacity")
    allocated_tokens: int = Field(description="The v1 name for current_count")
    max_capacity: int
    current_count: int = Field(description="Tokens holding a place, overflow included")
    available_capacity: int
    utilization_percentage: float = Field(description="current_count / max_capacity, in %")
    overflow_count: int = Field(description="Emergencies admitted beyond max_capacity")
    emergencies: int = Field(description="Emergency tokens booked into this slot")
    tokens_by_status: dict[str, int]
    tokens_by_source: dict[str, int]


class DoctorDayAnalytics(BaseModel):
    doctor_id: int
    doctor_name: str
    date: dt.date
    total_slots: int
    total_capacity: int
    total_allocated: int = Field(description="Tokens issued for the day, in any status")
    total_completed: int
    total_cancelled: int
    total_no_shows: int
    emergencies: int
    average_utilization: float = Field(
        description="Places held over places offered across the day's slots, in %"
    )
    tokens_by_status: dict[str, int]
    tokens_by_source: dict[str, int]


class HistoryEntry(BaseModel):
    """One change to a token, as the allocator's event recorded it."""

    event_id: uuid.UUID
    type: str = Field(examples=["token.status_changed"])
    at: dt.datetime = Field(description="When the allocator decided it")
    actor: str | None = Field(description="The API key that asked: key:<id>:<key name>",
                              examples=["key:3:OPD desk"])
    request_id: uuid.UUID | None = Field(description="The request (command) that caused it")
    reason: str | None = Field(examples=["doctor delayed 45 min: ward round"])
    from_status: str | None = Field(description="None for the allocation; a move keeps it")
    to_status: str = Field(examples=["checked_in"])
    slot_id: int = Field(description="The token's slot after the change")
    sequence: int = Field(description="The doctor's event sequence number")
