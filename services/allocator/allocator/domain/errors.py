"""Why a command was refused. `code` is the machine word the API shows (docs/API.md)."""

from __future__ import annotations

from opd_contracts.vocabulary import ErrorCode

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
    code = ErrorCode.INVALID_REQUEST

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class SlotFull(DomainError):
    code = ErrorCode.SLOT_FULL

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.alternatives: list[object] = []  # slots to offer, ranked by the service layer


class SlotClosed(DomainError):
    code = ErrorCode.SLOT_CLOSED


class SlotOverlap(DomainError):
    code = ErrorCode.SLOT_OVERLAP


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION


class InvalidRequest(DomainError):
    code = ErrorCode.INVALID_REQUEST


class Conflict(DomainError):
    """The request is well formed but the records' state forbids it."""

    code = ErrorCode.CONFLICT


class QuotaExceeded(DomainError):
    """A booking limit the hospital set (per phone, per doctor, per day) is used up."""

    code = ErrorCode.QUOTA_EXCEEDED
