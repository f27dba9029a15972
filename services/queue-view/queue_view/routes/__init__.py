"""One router per resource; `api` gathers those served under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from queue_view.display import stream
from queue_view.patient import slip
from queue_view.routes import admin, doctors, slots, tokens

__all__ = ["api"]

api = APIRouter(prefix="/api/v1")
for _module in (doctors, slots, slip, tokens, stream, admin):
    api.include_router(_module.router)
