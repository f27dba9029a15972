"""Events: what the allocator decided (past tense), published from its outbox.

Every event carries full snapshots of the records it changed, so a read model applies it
by upserting them, and can be rebuilt by replaying the history in `seq` order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opd_contracts.records import DoctorRecord, SlotRecord, TokenRecord
from opd_contracts.vocabulary import MoveKind, TokenStatus

__all__ = ["EventEnvelope", "EventType"]


class EventType(StrEnum):
    DOCTOR_REGISTERED = "doctor.registered"
    SLOT_OPENED = "slot.opened"
    SLOT_UPDATED = "slot.updated"
    TOKEN_ALLOCATED = "token.allocated"
    TOKEN_STATUS_CHANGED = "token.status_changed"
    TOKEN_MOVED = "token.moved"
    DOCTOR_DELAYED = "doctor.delayed"


class EventEnvelope(BaseModel):
    """One event on the wire (version 1); its routing key is `type`."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    event_id: uuid.UUID
    type: EventType
    doctor_id: int
    seq: int = Field(ge=1, description="Per-doctor sequence: 1, 2, 3 ... without gaps")
    occurred_at: dt.datetime
    command_id: uuid.UUID | None = Field(None, description="The request that caused it")
    actor: str | None = Field(None, description="Who asked: the API key's id and name")
    doctor: DoctorRecord | None = None
    slots: list[SlotRecord] = []
    tokens: list[TokenRecord] = []
    previous_status: TokenStatus | None = None
    reason: str | None = None
    move_kind: MoveKind | None = Field(
        None, description="Why a token moved (token.moved, and both events of a transfer), "
                          "or was queued behind others (token.allocated: fairness)")
