"""What the API answers, typed: the contracts' records where the answer is one, and the few
shapes only HTTP has (a pending write, a queue entry, a problem)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opd_contracts import DoctorRecord, SlotRecord, TokenRecord

__all__ = ["Booked", "DoctorRecord", "Moved", "Pending", "QueueEntry", "SlotRecord",
           "TokenRecord", "TokenView"]


class Moved(BaseModel):
    token_id: int
    token_number: str
    from_slot_id: int
    to_slot_id: int


class Booked(TokenRecord):
    """A booking's answer: the token, and whom an emergency moved to make room."""

    moved: list[Moved] = Field(default_factory=list)


class Pending(BaseModel):
    """202: queued, not decided in time. Repeat the same request with `request_id` as its
    Idempotency-Key to get the decision; it is decided once however often it is repeated."""

    request_id: str
    status: Literal["pending"]
    detail: str


class TokenView(TokenRecord):
    """A token as queue-view shows it: name, phone and notes null for keys that may not
    see them."""

    patient_name: str | None  # type: ignore[assignment]


class QueueEntry(TokenView):
    position: int
    estimated_wait_minutes: int


class ProblemBody(BaseModel):
    """RFC 9457 problem details as the services answer them; other members are kept."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str = ""
    status: int
    detail: str
    instance: str | None = None
    code: str
    alternatives: list[SlotRecord] = Field([], description="With slot_full")

    @property
    def extensions(self) -> dict[str, Any]:
        return dict(self.model_extra or {})
