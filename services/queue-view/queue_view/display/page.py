"""GET /display: the kiosk page, plain HTML + one small script, no build step.

The query string is the page's configuration, passed on to the stream as is:
`?doctors=1,2` or `?specialization=ENT`, `next=4`, `date=`, and `voice=1` to announce
calls by speech (a chime sounds regardless, where the browser lets it).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "mount_page", "router"]

STATIC = Path(__file__).parent / "static"
router = APIRouter(tags=["display"])


@router.get("/display", summary="Waiting-hall display (HTML)", response_class=FileResponse)
async def display_page() -> FileResponse:
    return FileResponse(STATIC / "display.html", headers={"Cache-Control": "no-cache"})


def mount_page(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/display/static", StaticFiles(directory=STATIC), name="display-static")
