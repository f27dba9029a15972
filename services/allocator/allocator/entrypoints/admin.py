"""Operators' endpoints on the allocator's private port."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request

from allocator.adapters.replay import replay_history
from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires
from opd_shared.http import error_responses

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/replay/{consumer}", summary="Re-publish every event to one read model's queue",
             responses=error_responses(401, 403, 429))
async def replay(consumer: Literal["queue_view", "analytics", "notifier"], request: Request,
                 caller: Annotated[Caller, requires(Permission.MANAGE_SCHEDULE)]) -> dict:
    runtime = request.app.state.runtime
    channel = await runtime.connection.channel()
    try:
        queue = runtime.topology.consumer_queue(consumer)
        sent = await replay_history(runtime.sessions, channel, queue,
                                    deflate=runtime.deflate_events)
    finally:
        await channel.close()
    return {"consumer": consumer, "queue": queue, "events": sent}
