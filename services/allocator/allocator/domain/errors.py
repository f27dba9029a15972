"""Why a command was refused. `code` is the machine word the API shows (docs/API.md)."""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DomainError",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "QuotaExceeded",
    "SlotClosed",
    "SlotFull",
    "SlotOverlap",
]


class DomainError(Exception):
    code = "invalid_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    code = "not_found"


class SlotFull(DomainError):
    code = "slot_full"


class SlotClosed(DomainError):
    code = "slot_closed"


class SlotOverlap(DomainError):
    code = "slot_overlap"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class InvalidRequest(DomainError):
    code = "invalid_request"


class Conflict(DomainError):
    """The request is well formed but the records' state forbids it."""

    code = "conflict"


class QuotaExceeded(DomainError):
    """A booking limit the hospital set (per phone, per doctor, per day) is used up."""

    code = "quota_exceeded"
