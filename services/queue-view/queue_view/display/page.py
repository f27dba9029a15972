"""GET /display: the kiosk page, plain HTML + one small script, no build step.

The query string is the page's configuration, passed on to the stream as is:
`?doctors=1,2` or `?specialization=ENT`, `next=4`, `date=`, and `voice=1` to announce
calls by speech (a chime sounds regardless, where the browser lets it).

The page and its scripts are served without a key, as analytics serves its dashboard:
they hold no data, and a browser opening a URL cannot send an Authorization header
anyway. The data comes only through the stream, which asks for READ_QUEUE like every
read; the page sends the key it was given (`#key=...` in the URL, or typed in when the
stream answers 401), kept in sessionStorage. Where reads are open, no key is needed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "mount_page", "router"]

STATIC = Path(__file__).parent / "static"
router = APIRouter(tags=["display"])


@router.get("/display", summary="Waiting-hall display (HTML)", response_class=FileResponse,
            responses={200: {"description": "The page; its data comes through the stream",
                             "content": {"text/html": {"schema": {"type": "string"}}}}})
async def display_page() -> FileResponse:
    return FileResponse(STATIC / "display.html", headers={"Cache-Control": "no-cache"})


def mount_page(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/display/static", StaticFiles(directory=STATIC), name="display-static")
