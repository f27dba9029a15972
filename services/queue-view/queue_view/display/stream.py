"""GET /api/v1/display/stream: the boards of a display as Server-Sent Events.

On connect the display gets every selected board; after that, a board each time that
doctor's events are applied (coalesced: several events between two polls make one
message). Each message's id is a `Cursor`, so a reconnecting display that sends
`Last-Event-ID` gets exactly the boards that changed meanwhile, from any process.
Idle streams carry a `ping` event every `stream_ping_seconds`, which proxies take as
traffic and the page takes as proof the connection is alive. A stream whose key is revoked
ends within `DAY_CHECK_SECONDS` (sooner when boards change); the page's reconnect then
meets the 401 and asks for a key.

Only a client that asks for a stream (`Accept: text/event-stream`, as EventSource and the
display page do) keeps the connection open. Any other (a script, curl, a test tool) gets
every selected board as one message and the response ends, rather than a request that
never finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from opd_shared.access import Guard
from queue_view.bootstrap import Runtime
from queue_view.deps import READ, RuntimeDep
from queue_view.display.board import Board, build_boards
from queue_view.display.cursor import Cursor
from queue_view.display.feed import applied_counts
from queue_view.display.selection import Selection, SelectionDep
from queue_view.display.stream_docs import stream_response
from queue_view.errors import READ_ERRORS

__all__ = ["board_events", "router"]

router = APIRouter(prefix="/display", tags=["display"], dependencies=[READ],
                   responses=READ_ERRORS)
log = logging.getLogger(__name__)
RETRY_MS = 2000  # how soon a browser reconnects after the stream drops
DAY_CHECK_SECONDS = 30.0  # a display left on overnight turns to the new day by itself


class BoardsOut(BaseModel):
    date: dt.date
    timezone: str
    boards: list[Board]
    ping_seconds: float


async def board_events(runtime: Runtime, selection: Selection, last_event_id: str | None,
                       admitted: Callable[[], Awaitable[bool]]) -> AsyncIterator[ServerSentEvent]:
    shown = Cursor.decode(last_event_id, _today(runtime, selection))
    while True:
        wake = runtime.feed.changed  # read before comparing: see ChangeFeed.changed
        if not await _still_admitted(admitted):
            log.info("display stream closed: its key no longer works")
            return
        if shown.date != _today(runtime, selection):
            shown = Cursor(_today(runtime, selection))
        patience = DAY_CHECK_SECONDS
        try:
            shown, boards = await _changes(runtime, selection, shown)
        except Exception:  # database down: keep the display connected and try again soon
            log.warning("display stream cannot read boards; will retry", exc_info=True)
            boards, patience = [], runtime.settings.stream_poll_seconds * 4
        if boards:
            yield _message(runtime, shown, boards)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(patience):
                await wake.wait()


async def _still_admitted(admitted: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return await admitted()
    except Exception:  # the keys' database is down: keep the display up, ask again later
        log.warning("display stream cannot check its key; will retry", exc_info=True)
        return True


def _today(runtime: Runtime, selection: Selection) -> dt.date:
    return selection.date or dt.datetime.now(ZoneInfo(runtime.settings.timezone)).date()


async def _changes(runtime: Runtime, selection: Selection,
                   shown: Cursor) -> tuple[Cursor, list[Board]]:
    """The boards changed since `shown`, and the cursor once they are sent."""
    async with runtime.sessions() as session:
        # One snapshot for the counts and the boards, so an id names exactly what was sent.
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        selected = await selection.doctors(session)
        current = await applied_counts(session, selected)
        stale = shown.stale(selected, current)
        boards = await build_boards(session, stale, shown.date, selection.next_count)
    return shown.advanced(selected, stale, current), boards


def _message(runtime: Runtime, shown: Cursor, boards: list[Board]) -> ServerSentEvent:
    settings = runtime.settings
    body = BoardsOut(date=shown.date, timezone=settings.timezone, boards=boards,
                     ping_seconds=settings.stream_ping_seconds)
    return ServerSentEvent(data=body.model_dump_json(), event="boards", id=shown.encode(),
                           retry=RETRY_MS)


def _ping() -> ServerSentEvent:
    # A named event (not an SSE comment) so that the page's watchdog can see it; no id,
    # so the browser's Last-Event-ID stays the last board's.
    return ServerSentEvent(data=dt.datetime.now(dt.UTC).isoformat(), event="ping")


async def _once(message: ServerSentEvent) -> AsyncIterator[ServerSentEvent]:
    yield message


@router.get("/stream", summary="Live boards of a display (Server-Sent Events)",
            response_class=EventSourceResponse, responses={200: stream_response(BoardsOut)})
async def stream(selection: SelectionDep, runtime: RuntimeDep, request: Request,
                 last_event_id: Annotated[str | None, Header(max_length=4000)] = None,
                 ) -> EventSourceResponse:
    """`event: boards` messages with JSON `{date, timezone, boards, ping_seconds}`: per doctor
    the token consulting, the next tokens with estimated waits, the room. Token numbers
    and rooms only: no patient's name or phone is in any message. `event: ping` every
    `ping_seconds`. Reconnect with `Last-Event-ID` to get only what changed meanwhile.

    The stream stays open only for `Accept: text/event-stream` (EventSource sends it);
    without it, the answer is one `boards` message with every selected board, then the end.
    """
    if "text/event-stream" not in request.headers.get("accept", ""):
        shown, boards = await _changes(runtime, selection, Cursor(_today(runtime, selection)))
        return EventSourceResponse(_once(_message(runtime, shown, boards)))
    guard: Guard = request.app.state.guard
    return EventSourceResponse(
        board_events(runtime, selection, last_event_id,
                     functools.partial(guard.still_admitted, request)),
        ping=runtime.settings.stream_ping_seconds, ping_message_factory=_ping,
    )  # sse-starlette sets Cache-Control: no-store and X-Accel-Buffering: no (proxies)
