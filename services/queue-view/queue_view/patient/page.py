"""GET /t/{ticket}: a patient's live page, and GET /t/{ticket}/events, its updates.

No key: the ticket is the key. It is 128 random bits printed on the slip and returned in
the booking's answer, not the token number (which anyone can count through), so the page
can show a patient where they stand without an account. It shows the token number, the
doctor and room, the place in the queue, the estimated wait and time window, and never
a name or phone, the patient's own included. An unknown or malformed ticket is 404, the
same answer either way.

Server-rendered HTML (one small template, one small script, one stylesheet: 4.5 KB in
English, 5.1 KB in Tamil, uncompressed, measured on the rendered page) so a cheap phone on a
slow network shows the status at once; the script then
follows `/t/{ticket}/events` (Server-Sent Events: the browser's EventSource reconnects by
itself) and replaces the words in place. Updates are woken by the same per-process change
feed as the display (`queue_view.display.feed`): one database poll per process, however many
patients watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sse_starlette import EventSourceResponse, ServerSentEvent

from opd_shared.http import error_responses
from queue_view.bootstrap import Runtime
from queue_view.errors import NotFoundError
from queue_view.i18n import LANGUAGES, Messages, choose, messages
from queue_view.patient.live import LiveStatus, live_status
from queue_view.patient.view import fields
from queue_view.queries import token_by_ticket

__all__ = ["TEMPLATES", "mount_patient_page", "router"]

HERE = Path(__file__).parent
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]), auto_reload=False)
router = APIRouter(prefix="/t", tags=["patient"])
RETRY_MS = 3000
# The shape a ticket has (secrets.token_urlsafe); anything else is refused as unknown.
Ticket = Annotated[str, PathParam(description="The code printed on the slip")]
Lang = Annotated[str | None, Query(max_length=20, description="en, hi or ta")]
_TICKET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _checked(ticket: str) -> str:
    if not 16 <= len(ticket) <= 32 or not set(ticket) <= _TICKET_CHARS:
        raise NotFoundError("ticket", "")  # the ticket itself is not echoed back
    return ticket


async def _status(runtime: Runtime, ticket: str) -> LiveStatus | None:
    async with runtime.sessions() as session:
        token = await token_by_ticket(session, ticket)
        if token is None:
            raise NotFoundError("ticket", "")  # the ticket itself is not echoed back
        return await live_status(session, token, runtime.settings.timezone)


def _say(runtime: Runtime, lang: str | None) -> Messages:
    return messages(choose(lang, runtime.settings.display_languages)[0])


@router.get("/{ticket}", response_class=HTMLResponse, summary="A patient's live page (HTML)",
            responses=error_responses(404))
async def patient_page(ticket: Ticket, request: Request, lang: Lang = None) -> HTMLResponse:
    _checked(ticket)
    runtime: Runtime = request.app.state.runtime
    status = await _status(runtime, ticket)
    say = _say(runtime, lang)
    html = TEMPLATES.get_template("patient.html").render(
        t=say, s=status, f=fields(status, say) if status else None,
        ticket=ticket, lang=say.lang, languages=[(code, messages(code)("_name"))
                                                 for code in LANGUAGES])
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/{ticket}/events", response_class=EventSourceResponse,
            summary="A patient's status as it changes (Server-Sent Events)",
            responses=error_responses(404))
async def patient_events(ticket: Ticket, request: Request,
                         lang: Lang = None) -> EventSourceResponse:
    """`event: status` with JSON of the page's words (`state`, `status`, `position`,
    `ahead`, `wait`, `expected`, `note`) in the page's language, each time they change."""
    _checked(ticket)
    runtime: Runtime = request.app.state.runtime
    await _status(runtime, ticket)  # 404 before the stream starts
    say = _say(runtime, lang)
    once = "text/event-stream" not in request.headers.get("accept", "")
    return EventSourceResponse(_updates(runtime, ticket, say, once),
                               ping=runtime.settings.stream_ping_seconds)


async def _updates(runtime: Runtime, ticket: str, say: Messages,
                   once: bool) -> AsyncIterator[ServerSentEvent]:
    sent: dict[str, str] | None = None
    while True:
        wake = runtime.feed.changed  # read before reading the status: see ChangeFeed
        status = await _status(runtime, ticket)
        shown = fields(status, say) if status else None
        if shown is not None and shown != sent:
            sent = shown
            yield ServerSentEvent(data=json.dumps(shown, ensure_ascii=False), event="status",
                                  retry=RETRY_MS)
        if once:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):  # the expected window moves with the clock too
                await wake.wait()


def mount_patient_page(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/patient/static", StaticFiles(directory=HERE / "static"), name="patient-static")
