"""Operators' endpoints on the allocator's private port."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from allocator.entrypoints.replay import replay_history

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/replay/{consumer}", summary="Re-publish every event to one read model's queue")
async def replay(consumer: Literal["queue_view", "analytics"], request: Request) -> dict:
    state = request.app.state
    channel = await state.connection.channel()
    try:
        queue = state.topology.consumer_queue(consumer)
        sent = await replay_history(state.sessions, channel, queue)
    finally:
        await channel.close()
    return {"consumer": consumer, "queue": queue, "events": sent}
