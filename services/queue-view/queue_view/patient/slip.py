"""GET /api/v1/tokens/{token_id}/slip: the printed token slip, for the desk and staff.

As HTML sized for an 80 mm thermal printer (the desk's browser prints it: print CSS sets
the page to 80 mm wide and nothing else on it), or as ESC/POS bytes for a printer fed
directly (`?format=escpos`, or `Accept: application/vnd.escpos`). Either carries the token
number large, the doctor, the room, the date, the estimated time window, and a QR code to
the patient's live page (`/t/{ticket}`). The QR code is drawn by segno (a maintained, pure
Python QR library): inline SVG in the HTML, so the page needs no other file and passes the
page CSP; a raster image in ESC/POS.

Desk and staff only (READ_PATIENTS): the slip carries the ticket, which opens the live page
without a key, so it is for whoever hands the patient the paper.
"""

from __future__ import annotations

from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from opd_shared.access import Permission
from opd_shared.access.guard import requires
from queue_view.bootstrap import Runtime
from queue_view.deps import RuntimeDep
from queue_view.errors import NOT_FOUND, READ_ERRORS, NotFoundError
from queue_view.i18n import Messages, choose, messages
from queue_view.models import Token
from queue_view.params import RecordId
from queue_view.patient.escpos import slip_bytes
from queue_view.patient.live import LiveStatus, live_status
from queue_view.patient.page import TEMPLATES

__all__ = ["ESCPOS", "router"]

ESCPOS = "application/vnd.escpos"
router = APIRouter(prefix="/tokens", tags=["tokens"],
                   dependencies=[requires(Permission.READ_PATIENTS)],
                   responses={**READ_ERRORS, **NOT_FOUND})


def live_url(runtime: Runtime, request: Request, ticket: str) -> str:
    base = runtime.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/t/{ticket}"


def _qr_svg(url: str, title: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=4, border=4, title=title,
                                                svgclass="qr")
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # segno's own markup


def _details(status: LiveStatus, say: Messages) -> list[tuple[str, str]]:
    window = "–"
    if status.expected_from and status.expected_to:
        window = say("time_window", start=say.time(status.expected_from),
                     end=say.time(status.expected_to))
    return [
        (say("doctor"), f"{status.doctor_name or '–'}"
                        + (f" · {status.specialization}" if status.specialization else "")),
        (say("room"), status.room or "–"),
        (say("date"), say.date(status.date)),
        (say("slot"), say("time_window", start=say.time(status.slot_start),
                          end=say.time(status.slot_end))),
        (say("expected"), window),
    ]


@router.get("/{token_id}/slip", summary="The printed token slip (HTML for 80 mm, or ESC/POS)",
            response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}, ESCPOS: {}},
                             "description": "The slip, as HTML or ESC/POS bytes"}})
async def slip(token_id: RecordId, request: Request, runtime: RuntimeDep,
               format: Annotated[Literal["html", "escpos"] | None, Query()] = None,
               lang: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    async with runtime.sessions() as session:
        token = await session.get(Token, token_id)
        status = await live_status(session, token, runtime.settings.timezone) if token else None
    if token is None or status is None:
        raise NotFoundError("token", token_id)
    url = live_url(runtime, request, token.ticket) if token.ticket else None
    if format == "escpos" or (format is None and ESCPOS in request.headers.get("accept", "")):
        say = messages("en")  # printers' code pages: see queue_view.patient.escpos
        body = slip_bytes([say("department")], status.short_number,
                          [status.token_number]
                          + [f"{label}: {value}" for label, value in _details(status, say)],
                          url, say("scan_to_follow"))
        return Response(body, media_type=ESCPOS, headers={
            "Content-Disposition": f'inline; filename="slip-{status.token_number}.bin"'})
    say = messages(choose(lang, runtime.settings.display_languages)[0])
    html = TEMPLATES.get_template("slip.html").render(
        t=say, s=status, details=_details(status, say), lang=say.lang,
        qr=_qr_svg(url, say("scan_to_follow")) if url else None)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
