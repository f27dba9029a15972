"""The ASGI layers every service wears (pure ASGI, so streaming responses pass untouched)."""

from __future__ import annotations

import json
from typing import Any

from opd_contracts.vocabulary import ErrorCode
from opd_shared.database import is_unreachable
from opd_shared.problems import ProblemConverter

__all__ = ["Refusals", "SecurityHeaders"]

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
_PAGE_HEADERS = (*_ALWAYS, (b"content-security-policy", PAGE_POLICY.encode()))
_DOCS_HEADERS = (*_ALWAYS, (b"content-security-policy", DOCS_POLICY.encode()))


def _answer(status: int, body: dict[str, str],
            headers: dict[str, str] | None = None) -> tuple[dict, dict]:
    """An answer of the edge's own, as the two ASGI messages that send it."""
    raw = json.dumps(body).encode()
    return ({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]},
        {"type": "http.response.body", "body": raw})


class _TooLarge(Exception):
    pass


class Refusals:
    """The refusals the edge makes itself, and every refusal's body as problem details, in
    one layer: these were three layers, each wrapping the request again, and with the
    security headers they cost about 45 us of the gateway's own 430 on
    `POST /api/v1/tokens` (services/booking-gateway/bench/path_profile.py).

    - a request body over `max_bytes` is 413 `too_large`, declared or streamed, without
      being read whole;
    - a database away (restart, network) before the answer started is 503 `unavailable`
      with Retry-After, not a 500;
    - any other exception before the answer started is a 500 problem (opd_shared.problems)
      and is raised again, so the server still logs it;
    - every error answer, the app's and these, is converted to problem details
      (`ProblemConverter`).
    """

    def __init__(self, app: Any, max_bytes: int = 64 * 1024) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        converter = ProblemConverter(send, scope["path"])
        declared = b""
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value  # the last one, should there be several
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(converter)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, converter.send)
        except _TooLarge:
            await self._refuse(converter)
        except Exception as error:
            if converter.started:
                raise
            if is_unreachable(error):
                return await converter.answer(*_answer(
                    503, {"detail": "the database is unavailable; try again shortly",
                          "code": ErrorCode.UNAVAILABLE}, {"Retry-After": "5"}))
            await converter.failed()
            raise

    async def _refuse(self, converter: ProblemConverter) -> None:
        await converter.answer(*_answer(413, {"detail": f"request body over {self.max_bytes} "
                                                        "bytes", "code": ErrorCode.TOO_LARGE}))


class SecurityHeaders:
    """Browser protections on every answer, pages and JSON alike (a JSON error opened in a
    browser is a page too); a header the route set itself is kept."""

    def __init__(self, app: Any, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app, self.docs_paths = app, docs_paths

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        wanted = _DOCS_HEADERS if scope["path"] in self.docs_paths else _PAGE_HEADERS

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)
