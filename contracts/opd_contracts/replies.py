"""The allocator's answer to one command, sent to the gateway that asked."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from opd_contracts.records import SlotRecord
from opd_contracts.vocabulary import ErrorCode

__all__ = ["ErrorCode", "Reply"]


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    command_id: uuid.UUID
    ok: bool
    code: ErrorCode | None = None
    detail: str | None = None
    result: dict[str, Any] | None = None
    alternatives: list[SlotRecord] = []
