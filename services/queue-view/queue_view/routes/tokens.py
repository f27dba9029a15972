"""Tokens, by id or by the number printed on the patient's slip, and the patient's own view."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from opd_contracts.commands import AbhaNumber
from opd_contracts.vocabulary import TokenStatus
from opd_shared.access import Caller
from opd_shared.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, after, serve_page
from queue_view.day import doctor_day
from queue_view.deps import SessionDep, TokenReader
from queue_view.errors import NOT_FOUND, READ_ERRORS, NotFoundError
from queue_view.models import Doctor, Slot, Token
from queue_view.params import DoctorFilter, RecordId, TokenNumber
from queue_view.queries import day_tokens, token_by_number
from queue_view.schemas import PositionOut, TokenOut
from queue_view.views import token_out
from queue_view.waits import wait_minutes

__all__ = ["router"]

router = APIRouter(prefix="/tokens", tags=["tokens"], responses={**READ_ERRORS, **NOT_FOUND})


@router.get("", summary="A day's tokens, every status (for integrations: FHIR Appointment)",
            responses=PAGED)
async def list_day_tokens(
    session: SessionDep, caller: TokenReader, request: Request, response: Response,
    date: dt.date, doctor_id: DoctorFilter = None, status: TokenStatus | None = None,
    abha_number: AbhaNumber | None = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
) -> list[TokenOut]:
    """Tokens of the slots on `date`, by id (booking order), a page at a time (the next
    page's address is in the `Link` header). A channel's key gets its own channel's tokens
    only; names, phones and ABHA numbers as for a single token."""
    start = after(cursor, "tokens", (int,))
    tokens = await day_tokens(session, date, doctor_id=doctor_id, status=status,
                              abha_number=abha_number, channel=caller.scope,
                              after_id=start[0] if start else None, limit=limit + 1)
    shown = [token_out(token, caller.sees_patient_of(token.channel)) for token in tokens]
    return serve_page(request, response, shown, limit, "tokens", lambda token: [token.id])


@router.get("/number/{token_number}")
async def get_token_by_number(token_number: TokenNumber, session: SessionDep,
                              caller: TokenReader) -> TokenOut:
    """Name, phone and notes for keys that may read patients, and for a channel's own
    patients (else null); a channel's key finds only the tokens its channel booked."""
    token = await _numbered(session, token_number, caller)
    return token_out(token, caller.sees_patient_of(token.channel))


@router.get("/number/{token_number}/position", summary="A patient's live place in the queue")
async def get_position(token_number: TokenNumber, session: SessionDep,
                       caller: TokenReader) -> PositionOut:
    """What an SMS link opens: the token's place in its slot's queue and its estimated wait.

    `position` 1 is the patient being seen or next; `ahead` = position - 1 counts the live
    tokens before it, the one consulting included. `estimated_wait_minutes` =
    ceil(ahead x minutes_per_patient), where minutes_per_patient is the slot's length /
    its capacity (`wait_basis` "planned") until the doctor has completed consultations
    that day, then the median of their durations, consultation start to completion
    (`wait_basis` "measured"). Counted from the slot's start, or from now once it is under
    way. A token no longer in the queue (completed, cancelled, no-show) has them all null.
    Never carries the patient's name or phone.
    """
    token = await _numbered(session, token_number, caller)
    slot = await session.get(Slot, token.slot_id)
    if slot is None:  # its slot's event has not arrived yet: not placeable, but not unknown
        raise NotFoundError("slot of token", token_number)
    day = await doctor_day(session, token.doctor_id, slot.date)
    pace = next(d.pace for d in day.slots if d.slot.id == slot.id)
    entry = day.find(token.id)
    doctor = await session.get(Doctor, token.doctor_id)
    return PositionOut(
        token_number=token.token_number, status=TokenStatus(token.status),
        doctor_id=token.doctor_id,
        slot_id=token.slot_id, room=doctor.room if doctor else None,
        position=entry.position if entry else None, ahead=entry.ahead if entry else None,
        estimated_wait_minutes=wait_minutes(entry.ahead, pace) if entry else None,
        minutes_per_patient=pace.minutes_per_patient, wait_basis=pace.basis,
    )


@router.get("/{token_id}")
async def get_token(token_id: RecordId, session: SessionDep, caller: TokenReader) -> TokenOut:
    """As by number: names for those who may see them, a channel's own tokens only."""
    token = _reachable(await session.get(Token, token_id), caller, token_id)
    return token_out(token, caller.sees_patient_of(token.channel))


async def _numbered(session: AsyncSession, token_number: str, caller: Caller) -> Token:
    return _reachable(await token_by_number(session, token_number), caller, token_number)


def _reachable(token: Token | None, caller: Caller, key: object) -> Token:
    """Another channel's token answers exactly as a missing one: ids cannot be probed."""
    if token is None or (caller.scope is not None and token.channel != caller.scope):
        raise NotFoundError("token", key)
    return token
