"""The management dashboard: one HTML page, its script and style, and Chart.js, vendored.

The page carries no figures: it reads the reports with the key the user gives it (kept in
sessionStorage), so it is served without one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

__all__ = ["STATIC_DIR", "router"]

STATIC_DIR = Path(__file__).parent.parent / "dashboard" / "static"
PAGE = Path(__file__).parent.parent / "dashboard" / "index.html"
router = APIRouter(tags=["dashboard"])


# Documented as the HTML it is (a FileResponse has no media type of its own to document).
@router.get("/dashboard", response_class=HTMLResponse, summary="Management dashboard (HTML)")
async def page() -> FileResponse:
    return FileResponse(PAGE, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})
