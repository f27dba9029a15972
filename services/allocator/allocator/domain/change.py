"""What a command asks of a schedule, and what the schedule decided."""

from __future__ import annotations

from dataclasses import dataclass

from allocator.domain.model import Slot, Token, snapshot
from opd_contracts.vocabulary import MoveKind, Source, TokenStatus

__all__ = ["Booking", "Change"]


@dataclass(frozen=True)
class Booking:
    token_id: int
    slot_id: int
    patient_name: str
    patient_phone: str | None
    source: Source
    notes: str | None = None
    emergency: bool = False
    moved_from_slot_id: int | None = None  # set when a transfer books the patient anew
    move_reason: str | None = None
    channel: str | None = None  # who booked it, kept on the token
    abha_number: str | None = None
    ticket: str | None = None  # a transfer keeps the patient's ticket; else a new one


@dataclass
class Change:
    """Something the schedule decided, to be recorded as one event, with the records as they
    were at that moment (a later step of the same command may change them again)."""

    type: str
    tokens: list[dict[str, object]]
    slots: list[dict[str, object]]
    reason: str | None = None
    previous_status: TokenStatus | None = None
    move_kind: MoveKind | None = None

    @classmethod
    def of(cls, type: str, tokens: list[Token], slots: list[Slot], *,
           reason: str | None = None, previous_status: TokenStatus | None = None,
           move_kind: MoveKind | None = None) -> Change:
        # Named keywords, not **details: a misspelt detail is a type error, not a crash.
        return cls(type, [snapshot(t) for t in tokens], [snapshot(s) for s in slots],
                   reason=reason, previous_status=previous_status, move_kind=move_kind)
