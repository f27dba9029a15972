"""The OPD's words, shared by every service and by the allocator's pure domain.

Standard library only: the domain may import this module without pulling in pydantic.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "HOLDS_PLACE",
    "LIVE",
    "SOURCE_WEIGHTS",
    "WAITING",
    "ErrorCode",
    "MoveKind",
    "Source",
    "TokenStatus",
    "queue_key",
]


class Source(StrEnum):
    PRIORITY = "priority"  # VIP, paid or emergency
    FOLLOW_UP = "follow_up"
    ONLINE = "online"
    WALK_IN = "walk_in"


SOURCE_WEIGHTS: dict[Source, int] = {
    Source.PRIORITY: 10,
    Source.FOLLOW_UP: 5,
    Source.ONLINE: 3,
    Source.WALK_IN: 1,
}


class TokenStatus(StrEnum):
    ALLOCATED = "allocated"
    CHECKED_IN = "checked_in"
    CONSULTING = "consulting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


S = TokenStatus
# A seen patient keeps the place they used; only cancellation and no-show give it back.
HOLDS_PLACE = frozenset({S.ALLOCATED, S.CHECKED_IN, S.CONSULTING, S.COMPLETED})
WAITING = frozenset({S.ALLOCATED, S.CHECKED_IN})
LIVE = WAITING | {S.CONSULTING}  # in a slot's queue: waiting, or with the doctor


def queue_key(status: TokenStatus, is_emergency: bool, priority_score: int,
              sequence_number: int) -> tuple[bool, bool, int, int]:
    """Who is seen first among a slot's live tokens: the patient with the doctor, then
    emergencies, then the higher score, then who came first. Sorting by this key is the
    queue; every service that orders a queue follows it (queue-view's SQL is tested
    against it)."""
    return (status != S.CONSULTING, not is_emergency, -priority_score, sequence_number)


class MoveKind(StrEnum):
    """Why a token moved, or (fairness) why it was queued behind others."""

    REALLOCATION = "reallocation"  # asked for, to another slot of the same doctor
    TRANSFER = "transfer"  # asked for, to a colleague of the same specialization
    DELAY = "delay"  # the doctor runs late: moved to a later day
    EMERGENCY_BUMP = "emergency_bump"  # made room for an emergency
    FAIRNESS = "fairness"  # its score was capped so an overtaken patient goes first


class ErrorCode(StrEnum):
    """The machine word of every error body (`{"detail": ..., "code": ...}`): a client
    branches on it, never on the sentence."""

    # The allocator's refusals of a command
    NOT_FOUND = "not_found"
    SLOT_FULL = "slot_full"
    SLOT_CLOSED = "slot_closed"
    SLOT_OVERLAP = "slot_overlap"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_REQUEST = "invalid_request"
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    QUOTA_EXCEEDED = "quota_exceeded"
    # Refusals at the door, before any command
    BAD_REQUEST = "bad_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_ERROR = "validation_error"
    TOO_LARGE = "too_large"
    INVALID_RANGE = "invalid_range"
    UNKNOWN_TABLE = "unknown_table"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_FAILURES = "too_many_failures"
    UNAVAILABLE = "unavailable"
    NOT_READY = "not_ready"
    INTERNAL_ERROR = "internal_error"  # a fault of ours, never of the request
