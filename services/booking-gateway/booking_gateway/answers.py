"""What each gateway route can answer, for the OpenAPI document (and so for its clients)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from opd_contracts import SlotRecord, TokenRecord
from opd_shared.http import ErrorOut, error_responses

__all__ = ["BookedOut", "DelayOut", "PendingOut", "answers"]


class PendingOut(BaseModel):
    request_id: str = Field(description="Repeat the request with this as Idempotency-Key")
    status: Literal["pending"]
    detail: str


class ConflictOut(ErrorOut):
    alternatives: list[SlotRecord] = Field(
        [], description="With slot_full: open slots with room, the same doctor's first")


class MovedOut(BaseModel):
    token_id: int
    token_number: str
    from_slot_id: int
    to_slot_id: int


class BookedOut(TokenRecord):
    moved: list[MovedOut] = Field(
        [], description="An emergency into a full slot: the waiting patient moved to make "
                        "room, and where to (empty otherwise)")


class DelayOut(BaseModel):
    doctor_id: int
    minutes: int
    reason: str | None
    moved: list[MovedOut] = Field(description="Who no longer fitted today, and where they went")


# The 202 every command can answer, in one place: the body and the header both carry the key
# the client repeats the request with, so a client that reads headers alone (or generated
# from this document) finds it too.
PENDING: dict[str, Any] = {
    "model": PendingOut, "description": "Queued, not decided in time",
    "headers": {"Idempotency-Key": {
        "description": "Repeat the request with this header (the one sent, or the one made "
                       "for a request without) to get its decision",
        "schema": {"type": "string"}}}}


def answers(success: int, model: type[BaseModel] | None) -> dict[int | str, Any]:
    """A command's possible answers: its success, 202 while undecided, and every refusal."""
    documented = error_responses(400, 401, 403, 404, 409, 413, 429, 503,
                                 models={409: ConflictOut})
    documented[202] = PENDING
    documented[success] = {"model": model, "description": "Decided"} if model else {
        "description": "Decided"}
    return documented
