"""What staff see of the notifier, and the patient's opt-out.

- `GET /api/v1/notifications`: every notification (newest first) with each send's status,
  tries and last failure; desk, staff and admin keys (they carry token numbers and what was
  said, never a phone).
- `GET /api/v1/notifications/summary`: counts per kind and send status.
- `POST /api/v1/opt-out/{ticket}`: no key (the ticket from the slip is the key): nothing
  more is sent about that token, and what is pending is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.models import Notification, OptOut, Send, Token
from opd_contracts import bounds
from opd_contracts.vocabulary import ErrorCode
from opd_shared.access import Permission
from opd_shared.access.guard import requires
from opd_shared.dependencies import request_session
from opd_shared.http import ApiError, error_responses
from opd_shared.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, after, serve_page

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
STAFF = requires(Permission.READ_PATIENTS)


SessionDep = Annotated[AsyncSession, Depends(request_session)]


class SendOut(BaseModel):
    channel: str
    status: str
    tries: int
    due_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None


class NotificationOut(BaseModel):
    id: int
    token_id: int
    token_number: str
    kind: str
    rule: str
    text: str
    created_at: dt.datetime
    sends: list[SendOut]


class SummaryOut(BaseModel):
    by_kind: dict[str, dict[str, int]]


@router.get("/notifications", dependencies=[STAFF], tags=["notifications"],
            responses={**error_responses(401, 403, 429, 503), **PAGED})
async def list_notifications(
    session: SessionDep, request: Request, response: Response,
    token_id: Annotated[int | None, Query(ge=1, le=bounds.ID_MAX)] = None,
    kind: Annotated[str | None, Query(pattern="^(near|called|moved|cancelled)$")] = None,
    cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
) -> list[NotificationOut]:
    """Newest first, a page at a time (the next page's address is in the `Link` header)."""
    start = after(cursor, "notifications", (int,))
    query = select(Notification).order_by(Notification.id.desc()).limit(limit + 1)
    if start is not None:
        query = query.where(Notification.id < start[0])
    if token_id is not None:
        query = query.where(Notification.token_id == token_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    notifications = (await session.scalars(query)).all()
    sends: dict[int, list[SendOut]] = defaultdict(list)
    if notifications:
        for send in (await session.scalars(select(Send).where(
                Send.notification_id.in_([n.id for n in notifications])).order_by(Send.id))):
            sends[send.notification_id].append(SendOut.model_validate(send, from_attributes=True))
    listed = [NotificationOut(id=n.id, token_id=n.token_id, token_number=n.token_number,
                              kind=n.kind, rule=n.rule, text=n.text, created_at=n.created_at,
                              sends=sends[n.id]) for n in notifications]
    return serve_page(request, response, listed, limit, "notifications", lambda n: [n.id])


@router.get("/notifications/summary", dependencies=[STAFF], tags=["notifications"],
            responses=error_responses(401, 403, 429, 503))
async def summary(session: SessionDep) -> SummaryOut:
    """Per kind: how many notifications, and their sends by status (sent, pending, dead,
    skipped)."""
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for kind, count in (await session.execute(
            select(Notification.kind, func.count()).group_by(Notification.kind))).all():
        by_kind[kind]["notifications"] = count
    for kind, status, count in (await session.execute(
            select(Notification.kind, Send.status, func.count())
            .join(Send, Send.notification_id == Notification.id)
            .group_by(Notification.kind, Send.status))).all():
        by_kind[kind][status] = count
    return SummaryOut(by_kind=dict(by_kind))


@router.post("/opt-out/{ticket}", status_code=204, tags=["patients"],
             responses=error_responses(404))
async def opt_out(session: SessionDep,
                  ticket: Annotated[str, Path(min_length=16, max_length=bounds.TICKET_MAX,
                                              pattern="^[A-Za-z0-9_-]+$")]) -> Response:
    """Stop every message about the token of this ticket (and of a transfer's new token)."""
    ids = (await session.scalars(select(Token.id).where(Token.ticket == ticket))).all()
    if not ids:
        raise ApiError(404, ErrorCode.NOT_FOUND, "ticket not found")
    await session.execute(insert(OptOut).on_conflict_do_nothing(), [
        {"token_id": token_id} for token_id in ids])
    pending = select(Notification.id).where(Notification.token_id.in_(ids))
    await session.execute(update(Send).where(Send.status == "pending",
                                             Send.notification_id.in_(pending))
                          .values(status="skipped", last_error="the patient opted out"))
    await session.commit()
    return Response(status_code=204)
