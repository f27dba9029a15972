"""GET /display: the kiosk page, plain HTML + one small script, no build step.

The query string is the page's configuration, passed on to the stream as is:
`?doctors=1,2` or `?specialization=ENT`, `next=4`, `date=`, `voice=1` to announce
calls by speech (a chime sounds regardless, where the browser lets it), and `lang=hi` or
`lang=hi,en` (shown in the first; spoken in each in turn), else `OPD_DISPLAY_LANGUAGES`,
which the page is given as its `data-languages` (queue_view.i18n).

The page and its scripts are served without a key, as analytics serves its dashboard:
they hold no data, and a browser opening a URL cannot send an Authorization header
anyway. The data comes only through the stream, which asks for READ_QUEUE like every
read; the page sends the key it was given (`#key=...` in the URL, or typed in when the
stream answers 401), kept in sessionStorage. Where reads are open, no key is needed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from queue_view.i18n import CATALOGS

__all__ = ["STATIC", "mount_page", "router"]

STATIC = Path(__file__).parent / "static"
router = APIRouter(tags=["display"])


PAGE = (STATIC / "display.html").read_text("utf-8")


@router.get("/display", summary="Waiting-hall display (HTML)", response_class=HTMLResponse,
            responses={200: {"description": "The page; its data comes through the stream",
                             "content": {"text/html": {"schema": {"type": "string"}}}}})
async def display_page(request: Request) -> HTMLResponse:
    # The setting is validated at start (two-letter codes), so it is safe in an attribute.
    languages = request.app.state.settings.display_languages
    return HTMLResponse(PAGE.replace('data-languages="en"', f'data-languages="{languages}"', 1),
                        headers={"Cache-Control": "no-cache"})


def mount_page(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/display/static", StaticFiles(directory=STATIC), name="display-static")
    app.mount("/i18n", StaticFiles(directory=CATALOGS), name="catalogs")
