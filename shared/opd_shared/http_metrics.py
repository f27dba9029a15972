"""The HTTP request metrics every service serves at /metrics, in one pure-ASGI layer.

Why not prometheus-fastapi-instrumentator's own middleware, whose metrics these are (the
same names, labels, buckets and help, so dashboards and the alerts in docs/OPERATIONS.md
read them unchanged): per request it built a Request, a Response, an Info and an empty
`asyncio.gather`, and looked up five label sets, about 75 us of CPU on the gateway's
`POST /api/v1/tokens` (services/booking-gateway/bench/path_profile.py), where this layer
spends a dictionary look-up per request and one for its labels' children.

What is recorded, as the instrumentator records it with the settings we used
(`excluded_handlers` only):

- `handler` is the route's template (`/api/v1/tokens/{token_id}/cancel`), found with the
  instrumentator's own `get_route_name`, once per method and path (bounded: past
  `NAMES_KEPT` a name is looked up every time); a path no route has is `none`.
- A request whose template (or, without one, its path) contains an excluded handler
  (`/metrics`, `/healthz`, `/readyz`, as a regular expression) is not counted.
- `status` is the first digit and `xx`; an answer never started (an exception escaped)
  counts as `5xx`.
- The sizes are the request's and the answer's Content-Length headers (0 without one).
- The duration runs from this layer's call until the app returned, the body included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from timeit import default_timer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from prometheus_fastapi_instrumentator.routing import get_route_name
from starlette.requests import HTTPConnection

__all__ = ["HttpMetrics"]

HIGHR_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4,
                 4.5, 5, 7.5, 10, 30, 60)
LOWR_BUCKETS = (0.1, 0.5, 1)


class _Metrics:
    """The five series, with each label set's children kept once made (never removed)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.total = Counter("http_requests_total",
                             "Total number of requests by method, status and handler.",
                             ("method", "status", "handler"), registry=registry)
        self.in_size = Summary(
            "http_request_size_bytes", "Content length of incoming requests by handler. "
            "Only value of header is respected. Otherwise ignored. No percentile calculated. ",
            ("handler",), registry=registry)
        self.out_size = Summary(
            "http_response_size_bytes", "Content length of outgoing responses by handler. "
            "Only value of header is respected. Otherwise ignored. No percentile calculated. ",
            ("handler",), registry=registry)
        self.highr = Histogram(
            "http_request_duration_highr_seconds", "Latency with many buckets but no API "
            "specific labels. Made for more accurate percentile calculations. ",
            buckets=HIGHR_BUCKETS, registry=registry)
        self.lowr = Histogram(
            "http_request_duration_seconds", "Latency with only few buckets by handler. "
            "Made to be only used if aggregation by handler is important. ",
            ("method", "handler"), buckets=LOWR_BUCKETS, registry=registry)
        self._children: dict[tuple[str, str, str], tuple[Any, Any, Any, Any]] = {}

    def record(self, method: str, status: str, handler: str, in_size: int, out_size: int,
               duration: float) -> None:
        children = self._children.get((method, status, handler))
        if children is None:
            children = (self.total.labels(method, status, handler),
                        self.in_size.labels(handler), self.out_size.labels(handler),
                        self.lowr.labels(method, handler))
            self._children[method, status, handler] = children
        total, in_sizes, out_sizes, lowr = children
        total.inc()
        in_sizes.observe(in_size)
        out_sizes.observe(out_size)
        self.highr.observe(duration)
        lowr.observe(duration)


class HttpMetrics:
    """The ASGI layer described above; `excluded` are regular expressions of handlers."""

    NAMES_KEPT = 4096

    def __init__(self, app: Any, registry: CollectorRegistry,
                 excluded: Iterable[str] = ()) -> None:
        self.app = app
        self.metrics = _Metrics(registry)
        self.excluded = [re.compile(pattern) for pattern in excluded]
        self._handlers: dict[tuple[str, str, str], str | None] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = default_timer()
        handler = self._handler(scope)
        if handler is None:
            return await self.app(scope, receive, send)
        status, out_size = "5xx", 0

        async def measured(message: dict) -> None:
            nonlocal status, out_size
            if message["type"] == "http.response.start":
                status = f"{str(int(message['status']))[0]}xx"
                out_size = _content_length(message.get("headers", ()), fold_case=True)
            await send(message)

        try:
            await self.app(scope, receive, measured)
        finally:
            self.metrics.record(scope["method"], status, handler,
                                _content_length(scope["headers"]), out_size,
                                max(default_timer() - started, 0.0))

    def _handler(self, scope: dict) -> str | None:
        """The request's `handler` label, or None when it is not counted."""
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        if key in self._handlers:
            return self._handlers[key]
        template = get_route_name(HTTPConnection(scope), should_include_root_path=False)
        named = template or HTTPConnection(scope).url.path
        handler = None if any(p.search(named) for p in self.excluded) else template or "none"
        if len(self._handlers) < self.NAMES_KEPT:
            self._handlers[key] = handler
        return handler


def _content_length(headers: Iterable[tuple[bytes, bytes]], fold_case: bool = False) -> int:
    """The Content-Length header's value, 0 without one. Request header names are lower
    case already (ASGI), and were read as they are; an answer's were folded."""
    for name, value in headers:
        if (name.lower() if fold_case else name) == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
