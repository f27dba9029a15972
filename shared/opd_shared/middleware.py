"""The ASGI layers every service wears (pure ASGI, so streaming responses pass untouched)."""

from __future__ import annotations

import json
from typing import Any

from opd_contracts.vocabulary import ErrorCode
from opd_shared.database import is_unreachable

__all__ = ["BodyLimit", "DatabaseOutage", "SecurityHeaders"]

# The pages (kiosk display, dashboard) load only their own files: no inline script or style,
# no other origin, so an injected `<script>` or a framing site gets nothing to run or show.
PAGE_POLICY = ("default-src 'self'; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc load Swagger UI and ReDoc from jsDelivr and start them with an
# inline script; production turns them off (OPD_API_DOCS=false) rather than loosen the pages.
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
               "https://fonts.googleapis.com; font-src https://fonts.gstatic.com; "
               "img-src 'self' data: https://fastapi.tiangolo.com; worker-src blob:; "
               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY")]


async def _answer(send: Any, status: int, body: dict[str, str],
                  headers: dict[str, str] | None = None) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]})
    await send({"type": "http.response.body", "body": raw})


class DatabaseOutage:
    """A database away (restart, network) is 503 with Retry-After, not a 500."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            if started or not is_unreachable(error):
                raise
            await _answer(send, 503, {"detail": "the database is unavailable; try again shortly",
                                      "code": ErrorCode.UNAVAILABLE}, {"Retry-After": "5"})


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, without reading them whole."""

    def __init__(self, app: Any, max_bytes: int = 64 * 1024) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        await _answer(send, 413, {"detail": f"request body over {self.max_bytes} bytes",
                                  "code": ErrorCode.TOO_LARGE})


class SecurityHeaders:
    """Browser protections on every answer, pages and JSON alike (a JSON error opened in a
    browser is a page too); a header the route set itself is kept."""

    def __init__(self, app: Any, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app, self.docs_paths = app, docs_paths

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = DOCS_POLICY if scope["path"] in self.docs_paths else PAGE_POLICY
        wanted = [*_ALWAYS, (b"content-security-policy", policy.encode())]

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)
