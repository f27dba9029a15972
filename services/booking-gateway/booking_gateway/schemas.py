"""HTTP request bodies in the v1 shapes (docs/API.md), built from the wire contracts' types."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from opd_contracts.commands import (
    AbhaNumber,
    Capacity,
    DelayMinutes,
    Id,
    Name,
    Phone,
    Room,
    Text,
    WallTime,
)
from opd_contracts.vocabulary import Source, TokenStatus

__all__ = ["DelayIn", "DoctorIn", "ReallocateIn", "SlotChangeIn", "SlotIn", "StatusIn",
           "TokenIn"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DoctorIn(_Body):
    name: Name = Field(examples=["Dr. Sarah Johnson"])
    specialization: Name = Field(examples=["General Medicine"])
    room: Room | None = None


class SlotIn(_Body):
    doctor_id: Id
    date: dt.date = Field(examples=["2026-01-30"])
    start_time: WallTime = Field(examples=["09:00"])
    end_time: WallTime = Field(examples=["10:00"])
    max_capacity: Capacity = Field(examples=[20])


class TokenIn(_Body):
    patient_name: Name = Field(examples=["John Doe"])
    patient_phone: Phone | None = None
    doctor_id: Id
    slot_id: Id
    source: Source
    notes: Text | None = None
    abha_number: AbhaNumber | None = Field(
        None, examples=["91-1234-5678-9012"],
        description="The patient's ABHA number: 14 digits, bare or as xx-xxxx-xxxx-xxxx")


class ReallocateIn(_Body):
    new_slot_id: Id
    reason: Text | None = None
    allow_other_doctor: bool = Field(
        False, description="May move to a colleague of the same specialization (a new token)")


class SlotChangeIn(_Body):
    max_capacity: Capacity = Field(description="No lower than the tokens it holds")


class StatusIn(_Body):
    status: TokenStatus


class DelayIn(_Body):
    minutes: DelayMinutes
    reason: Text | None = None
