"""GET /api/v1/display/stream: the boards of a display as Server-Sent Events.

On connect the display gets every selected board; after that, a board each time that
doctor's events are applied (coalesced: several events between two polls make one
message). Each message's id is a `Cursor`, so a reconnecting display that sends
`Last-Event-ID` gets exactly the boards that changed meanwhile, from any process.
Idle streams carry a `ping` event every `stream_ping_seconds`, which proxies take as
traffic and the page takes as proof the connection is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from queue_view.bootstrap import Runtime
from queue_view.deps import RuntimeDep
from queue_view.display.board import Board, build_boards
from queue_view.display.cursor import Cursor
from queue_view.display.feed import applied_counts
from queue_view.display.selection import Selection, SelectionDep

__all__ = ["board_events", "router"]

router = APIRouter(prefix="/display", tags=["display"])
log = logging.getLogger(__name__)
RETRY_MS = 2000  # how soon a browser reconnects after the stream drops
DAY_CHECK_SECONDS = 30.0  # a display left on overnight turns to the new day by itself


class BoardsOut(BaseModel):
    date: dt.date
    timezone: str
    boards: list[Board]
    ping_seconds: float


async def board_events(runtime: Runtime, selection: Selection,
                       last_event_id: str | None) -> AsyncIterator[ServerSentEvent]:
    zone = ZoneInfo(runtime.settings.timezone)

    def today() -> dt.date:
        return selection.date or dt.datetime.now(zone).date()

    shown = Cursor.decode(last_event_id, today())
    while True:
        wake = runtime.feed.changed  # read before comparing: see ChangeFeed.changed
        if shown.date != today():
            shown = Cursor(today())
        patience = DAY_CHECK_SECONDS
        try:
            shown, message = await _changes(runtime, selection, shown)
        except Exception:  # database down: keep the display connected and try again soon
            log.warning("display stream cannot read boards; will retry", exc_info=True)
            message, patience = None, runtime.settings.stream_poll_seconds * 4
        if message is not None:
            yield message
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(patience):
                await wake.wait()


async def _changes(runtime: Runtime, selection: Selection,
                   shown: Cursor) -> tuple[Cursor, ServerSentEvent | None]:
    async with runtime.sessions() as session:
        # One snapshot for the counts and the boards, so an id names exactly what was sent.
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        selected = await selection.doctors(session)
        current = await applied_counts(session, selected)
        stale = shown.stale(selected, current)
        boards = await build_boards(session, stale, shown.date, selection.next_count)
    shown = shown.advanced(selected, stale, current)
    if not boards:
        return shown, None
    settings = runtime.settings
    body = BoardsOut(date=shown.date, timezone=settings.timezone, boards=boards,
                     ping_seconds=settings.stream_ping_seconds)
    return shown, ServerSentEvent(data=body.model_dump_json(), event="boards",
                                  id=shown.encode(), retry=RETRY_MS)


def _ping() -> ServerSentEvent:
    # A named event (not an SSE comment) so that the page's watchdog can see it; no id,
    # so the browser's Last-Event-ID stays the last board's.
    return ServerSentEvent(data=dt.datetime.now(dt.UTC).isoformat(), event="ping")


@router.get("/stream", summary="Live boards of a display (Server-Sent Events)",
            response_class=EventSourceResponse)
async def stream(selection: SelectionDep, runtime: RuntimeDep,
                 last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """`event: boards` messages with JSON `{date, timezone, boards, ping_seconds}`: per doctor
    the token consulting, the next tokens with estimated waits, the room. Token numbers
    and rooms only: no patient's name or phone is in any message. `event: ping` every
    `ping_seconds`. Reconnect with `Last-Event-ID` to get only what changed meanwhile."""
    return EventSourceResponse(
        board_events(runtime, selection, last_event_id),
        ping=runtime.settings.stream_ping_seconds, ping_message_factory=_ping,
    )  # sse-starlette sets Cache-Control: no-store and X-Accel-Buffering: no (proxies)
