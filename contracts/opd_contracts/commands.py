"""Commands: what the gateway asks the allocator to decide (imperative names).

Each command knows the partition that must decide it, so that every decision about one
doctor is made by that doctor's single writer.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zlib
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from opd_contracts import bounds
from opd_contracts.topology import partition_of_doctor, partition_of_record
from opd_contracts.vocabulary import Source, TokenStatus

__all__ = [
    "AbhaNumber",
    "BookToken",
    "CallNext",
    "CancelToken",
    "Capacity",
    "ChangeTokenStatus",
    "Channel",
    "Command",
    "CommandEnvelope",
    "DelayDoctor",
    "DelayMinutes",
    "Id",
    "Name",
    "OpenSlot",
    "Phone",
    "ReallocateToken",
    "RegisterDoctor",
    "ResizeSlot",
    "Room",
    "Text",
    "TokenCommand",
    "WallTime",
]

# Unicode's control characters (general category Cc, a set its stability policy fixes: the
# C0 controls, DEL and the C1 controls) but tab and newline. One search of a compiled class
# costs 0.2-0.3 µs a name where asking `unicodedata.category` of each character cost 1.4-3.0
# (10-17 characters; 1.2 against 11.7 for 86), on every name, room and note of every
# command, at the gateway and again in the allocator.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(value: str) -> str:
    """Control characters (NUL above all, which PostgreSQL cannot store) are never text."""
    if _CONTROL.search(value) is not None:
        raise ValueError("must not contain control characters")
    return value


def _wall_clock(value: dt.time) -> dt.time:
    """Slot times are the hospital's wall clock (OPD_TIMEZONE); an offset would be ambiguous."""
    if value.tzinfo is not None:
        raise ValueError("give the hospital's local time, without a UTC offset")
    return value


def _abha_number(value: str) -> str:
    """An ABHA number (Ayushman Bharat Health Account) is 14 digits; people write it bare or
    as ABDM prints it, xx-xxxx-xxxx-xxxx. Stored one way, the printed one, so equal numbers
    compare equal."""
    digits = value.strip().replace(" ", "")
    bare = digits.replace("-", "")
    if not (bare.isascii() and bare.isdigit() and len(bare) == 14) or (
            "-" in digits and digits != f"{bare[:2]}-{bare[2:6]}-{bare[6:10]}-{bare[10:]}"):
        raise ValueError("an ABHA number is 14 digits, written bare or as xx-xxxx-xxxx-xxxx")
    return f"{bare[:2]}-{bare[2:6]}-{bare[6:10]}-{bare[10:]}"


WallTime = Annotated[dt.time, AfterValidator(_wall_clock)]
AbhaNumber = Annotated[str, StringConstraints(strip_whitespace=True,
                                              max_length=bounds.ABHA_NUMBER_MAX),
                       AfterValidator(_abha_number)]
Id = Annotated[int, Field(ge=1, le=bounds.ID_MAX)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                        max_length=bounds.NAME_MAX), AfterValidator(_printable)]
# The length bounds the whole string, the + included: the pattern only says which characters.
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=bounds.PHONE_MIN,
                                         max_length=bounds.PHONE_MAX, pattern=r"^\+?[0-9 ()-]+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=bounds.TEXT_MAX),
                 AfterValidator(_printable)]
Room = Annotated[str, StringConstraints(strip_whitespace=True, max_length=bounds.ROOM_MAX),
                 AfterValidator(_printable)]
Capacity = Annotated[int, Field(ge=1, le=bounds.CAPACITY_MAX)]
DelayMinutes = Annotated[int, Field(ge=1, le=bounds.DELAY_MINUTES_MAX)]
Channel = Annotated[str, StringConstraints(min_length=1, max_length=bounds.CHANNEL_MAX,
                                           pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _DoctorCommand(_Command):
    doctor_id: Id

    def partition(self, partitions: int) -> int:
        return partition_of_doctor(self.doctor_id, partitions)


class TokenCommand(_Command):
    """A command about one token, decided by the partition its id names."""

    token_id: Id
    channel_scope: Channel | None = Field(
        None, description="Set for a channel's key: only tokens that channel booked are "
                          "found; any other is not found, and nothing changes")

    def partition(self, partitions: int) -> int:
        return partition_of_record(self.token_id, partitions)


class RegisterDoctor(_Command):
    type: Literal["register_doctor"] = "register_doctor"
    name: Name = Field(examples=["Dr. Sarah Johnson"])
    specialization: Name = Field(examples=["General Medicine"])
    room: Room | None = None

    def partition(self, partitions: int) -> int:
        # A new doctor has no id yet, so no partition owns it; spread by name.
        return zlib.crc32(self.name.encode()) % partitions


class OpenSlot(_DoctorCommand):
    type: Literal["open_slot"] = "open_slot"
    date: dt.date = Field(examples=["2026-01-30"])
    start_time: WallTime = Field(examples=["09:00"])
    end_time: WallTime = Field(examples=["10:00"])
    max_capacity: Capacity = Field(examples=[20])


class BookToken(_DoctorCommand):
    type: Literal["book_token"] = "book_token"
    slot_id: Id
    patient_name: Name = Field(examples=["John Doe"])
    patient_phone: Phone | None = None
    source: Source
    notes: Text | None = None
    emergency: bool = False
    channel: Channel | None = Field(None, description="Who booked (the API key's channel); "
                                                      "the token keeps it")
    abha_number: AbhaNumber | None = Field(
        None, description="The patient's ABHA number (14 digits; kept as xx-xxxx-xxxx-xxxx)")


class CancelToken(TokenCommand):
    type: Literal["cancel_token"] = "cancel_token"
    reason: Text | None = None


class ReallocateToken(TokenCommand):
    type: Literal["reallocate_token"] = "reallocate_token"
    new_slot_id: Id
    reason: Text | None = None
    allow_other_doctor: bool = Field(
        False, description="May move to a colleague of the same specialization (a new token)")


class ResizeSlot(_Command):
    type: Literal["resize_slot"] = "resize_slot"
    slot_id: Id
    max_capacity: Capacity

    def partition(self, partitions: int) -> int:
        return partition_of_record(self.slot_id, partitions)


class ChangeTokenStatus(TokenCommand):
    type: Literal["change_token_status"] = "change_token_status"
    status: TokenStatus


class CallNext(_DoctorCommand):
    type: Literal["call_next"] = "call_next"
    slot_id: Id | None = None


class DelayDoctor(_DoctorCommand):
    type: Literal["delay_doctor"] = "delay_doctor"
    minutes: DelayMinutes
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
