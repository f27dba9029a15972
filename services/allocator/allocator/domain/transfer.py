"""Moving a waiting patient to a colleague of the same specialization."""

from __future__ import annotations

import datetime as dt

from allocator.domain.change import Booking
from allocator.domain.errors import InvalidRequest
from allocator.domain.model import Token
from allocator.domain.schedule import Schedule
from opd_contracts.vocabulary import MoveKind, TokenStatus

__all__ = ["transfer"]


def transfer(source: Schedule, token_id: int, target: Schedule, slot_id: int,
             new_token_id: int, reason: str | None, now: dt.datetime) -> Token:
    """The colleague's slot gets a new token (their number, their queue) and the old token is
    cancelled with a note of where the patient went; each doctor's records stay their own."""
    if target.doctor.specialization != source.doctor.specialization:
        raise InvalidRequest(
            f"doctor {target.doctor.id} is in {target.doctor.specialization}, not "
            f"{source.doctor.specialization}")
    token = source.waiting_token(token_id)
    target.slot_with_room(slot_id, now)
    why = reason or "transferred to a colleague"
    moved = target.book(Booking(
        token_id=new_token_id, slot_id=slot_id, patient_name=token.patient_name,
        patient_phone=token.patient_phone, source=token.source, notes=token.notes,
        emergency=token.is_emergency, moved_from_slot_id=token.slot_id,
        move_reason=f"{why} (was {token.token_number})", channel=token.channel,
        abha_number=token.abha_number,
        ticket=token.ticket,  # the patient's slip keeps working: its page follows them
    ), now)
    source.change_status(token.id, TokenStatus.CANCELLED, now)
    source.changes[-1].reason = f"{why}: now {moved.token_number} with doctor {target.doctor.id}"
    source.changes[-1].move_kind = target.changes[-1].move_kind = MoveKind.TRANSFER
    return moved
