"""The allocator's answer to one command, sent to the gateway that asked."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from opd_contracts.records import SlotRecord

__all__ = ["ErrorCode", "Reply"]


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    SLOT_FULL = "slot_full"
    SLOT_CLOSED = "slot_closed"
    SLOT_OVERLAP = "slot_overlap"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_REQUEST = "invalid_request"
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    QUOTA_EXCEEDED = "quota_exceeded"


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    command_id: uuid.UUID
    ok: bool
    code: ErrorCode | None = None
    detail: str | None = None
    result: dict[str, Any] | None = None
    alternatives: list[SlotRecord] = []
