"""Commands: what the gateway asks the allocator to decide (imperative names).

Each command knows the partition that must decide it, so that every decision about one
doctor is made by that doctor's single writer.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
import zlib
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from opd_shared.topology import partition_of_doctor, partition_of_record
from opd_shared.vocabulary import Source, TokenStatus

__all__ = [
    "BookToken",
    "CallNext",
    "CancelToken",
    "ChangeTokenStatus",
    "Command",
    "CommandEnvelope",
    "DelayDoctor",
    "Id",
    "Name",
    "OpenSlot",
    "Phone",
    "ReallocateToken",
    "RegisterDoctor",
    "ResizeSlot",
    "Text",
    "WallTime",
]

def _printable(value: str) -> str:
    """Control characters (NUL above all, which PostgreSQL cannot store) are never text."""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in value):
        raise ValueError("must not contain control characters")
    return value


def _wall_clock(value: dt.time) -> dt.time:
    """Slot times are the hospital's wall clock (OPD_TIMEZONE); an offset would be ambiguous."""
    if value.tzinfo is not None:
        raise ValueError("give the hospital's local time, without a UTC offset")
    return value


WallTime = Annotated[dt.time, AfterValidator(_wall_clock)]
Id = Annotated[int, Field(ge=1, le=2**62)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
                 AfterValidator(_printable)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500),
                 AfterValidator(_printable)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _DoctorCommand(_Command):
    doctor_id: Id

    def partition(self, partitions: int) -> int:
        return partition_of_doctor(self.doctor_id, partitions)


class _TokenCommand(_Command):
    token_id: Id

    def partition(self, partitions: int) -> int:
        return partition_of_record(self.token_id, partitions)


class RegisterDoctor(_Command):
    type: Literal["register_doctor"] = "register_doctor"
    name: Name = Field(examples=["Dr. Sarah Johnson"])
    specialization: Name = Field(examples=["General Medicine"])
    room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None

    def partition(self, partitions: int) -> int:
        # A new doctor has no id yet, so no partition owns it; spread by name.
        return zlib.crc32(self.name.encode()) % partitions


class OpenSlot(_DoctorCommand):
    type: Literal["open_slot"] = "open_slot"
    date: dt.date = Field(examples=["2026-01-30"])
    start_time: WallTime = Field(examples=["09:00"])
    end_time: WallTime = Field(examples=["10:00"])
    max_capacity: int = Field(ge=1, le=500, examples=[20])


class BookToken(_DoctorCommand):
    type: Literal["book_token"] = "book_token"
    slot_id: Id
    patient_name: Name = Field(examples=["John Doe"])
    patient_phone: Phone | None = None
    source: Source
    notes: Text | None = None
    emergency: bool = False


class CancelToken(_TokenCommand):
    type: Literal["cancel_token"] = "cancel_token"
    reason: Text | None = None


class ReallocateToken(_TokenCommand):
    type: Literal["reallocate_token"] = "reallocate_token"
    new_slot_id: Id
    reason: Text | None = None
    allow_other_doctor: bool = Field(
        False, description="May move to a colleague of the same specialization (a new token)")


class ResizeSlot(_Command):
    type: Literal["resize_slot"] = "resize_slot"
    slot_id: Id
    max_capacity: int = Field(ge=1, le=500)

    def partition(self, partitions: int) -> int:
        return partition_of_record(self.slot_id, partitions)


class ChangeTokenStatus(_TokenCommand):
    type: Literal["change_token_status"] = "change_token_status"
    status: TokenStatus


class CallNext(_DoctorCommand):
    type: Literal["call_next"] = "call_next"
    slot_id: Id | None = None


class DelayDoctor(_DoctorCommand):
    type: Literal["delay_doctor"] = "delay_doctor"
    minutes: int = Field(ge=1, le=720)
    reason: Text | None = None


Command = Annotated[
    RegisterDoctor
    | OpenSlot
    | BookToken
    | CancelToken
    | ReallocateToken
    | ResizeSlot
    | ChangeTokenStatus
    | CallNext
    | DelayDoctor,
    Field(discriminator="type"),
]


class CommandEnvelope(BaseModel):
    """One command on the wire (version 1). `command_id` is also the AMQP message id."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    command_id: uuid.UUID
    issued_at: dt.datetime
    fingerprint: str = Field(description="Hash of the request, to refuse a reused Idempotency-Key")
    actor: str | None = Field(None, description="Who asked: the API key's id and name")
    command: Command
