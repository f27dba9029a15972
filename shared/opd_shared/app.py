"""Every service's FastAPI app starts here, so each wears the same protections: one error
shape, body limit, security headers, /metrics (behind OPD_METRICS_KEY when set), and the
API documentation only where OPD_API_DOCS allows it.

One skeleton for every service, so a reader who knows one knows all four:

- `<service>/bootstrap.py` owns what the process starts. `start(settings)` is an async
  context manager that builds, from the settings alone, the guard (`open_guard`), the
  database (`migrate`, `opd_shared.database.service_engine`, sessions) and the broker side
  (consumer or bus), pushing each one's close on an `AsyncExitStack` so they close in
  reverse order; it yields one frozen `Runtime` holding them, with `guard`, `engine` (or
  None) and `broker_connected()`, which /readyz checks.
- `<service>/main.py` is short: `create_app(settings=None)` takes
  `settings or process_settings(<Settings>)`, calls `service_app(settings, bootstrap.start,
  title=...)`, `add_health_routes(app)` and includes its routers.
- Routes reach the runtime as `request.app.state.runtime` (deps.py); `opd_shared.access`
  finds the guard at `app.state.guard`. Nothing is built at import time.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.telemetry._api import _unconfigured
from opentelemetry import _logs, metrics, trace

from opd_shared.heap import settle_heap
from opd_shared.http import install_error_handlers, problem_media_types
from opd_shared.logging import configure_logging
from opd_shared.metrics import instrument
from opd_shared.middleware import SecurityHeaders
from opd_shared.settings import ServiceSettings
from opd_shared.tracing import configure as configure_tracing
from opd_shared.tracing import instrument_app

__all__ = ["Start", "native_telemetry", "process_settings", "service_app"]

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
Start = Callable[[Any], AbstractAsyncContextManager[Any]]
"""A service's `bootstrap.start`: settings in, its running Runtime out (closed on exit)."""


def process_settings(cls: type[SettingsT]) -> SettingsT:
    """The settings of a process uvicorn starts: read from the environment, and the log
    format, the garbage collector and the CPU priority set here, once. Tests pass settings
    of their own and keep pytest's log capture, collector and priority."""
    settings = cls()
    configure_logging(settings.service, settings.log_level, settings.log_json)
    settle_heap(settings.gc_young_threshold)  # the modules are imported by now
    os.nice(settings.cpu_niceness)
    return settings


def _lifespan(settings: ServiceSettings, start: Start) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start(settings) as runtime:
            app.state.runtime, app.state.guard = runtime, runtime.guard
            yield

    return lifespan


def service_app(settings: ServiceSettings, start: Start | None = None,
                **fastapi: Any) -> FastAPI:
    """A FastAPI app (`fastapi` are its title, ...) with the shared layers, whose lifespan
    runs `start` (or the `lifespan` given among `fastapi`)."""
    if start is not None:
        fastapi["lifespan"] = _lifespan(settings, start)
    configure_tracing(settings.service)  # before the next line asks whether it is on
    fastapi.setdefault("telemetry", native_telemetry())
    docs = settings.api_docs  # off: no route at all, so the paths answer 404 like any other
    app = FastAPI(openapi_url="/openapi.json" if docs else None,
                  docs_url="/docs" if docs else None,
                  redoc_url="/redoc" if docs else None, **fastapi)
    app.state.settings = settings  # /readyz's timeout and Retry-After, before any lifespan
    install_error_handlers(app)
    _serve_problem_media_types(app)
    instrument(app, settings.metrics_key)
    instrument_app(app, settings.service)  # traces, when OTEL_TRACES_EXPORTER asks
    docs_pages = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    # Added last, so it is the outermost layer: the 413 and 503 the guards answer carry it too.
    app.add_middleware(SecurityHeaders, docs_paths=frozenset(p for p in docs_pages if p))
    return app


_TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False}


def native_telemetry() -> dict[str, Any] | None:
    """FastAPI's own OpenTelemetry, as FastAPI would have it (None: its default), asked once.

    By default FastAPI turns it on for any request that arrives while a global OpenTelemetry
    provider (tracer, meter or logger) is set, and so looks the three up on every request
    (3.1 us, timeit, 2026-12-07; each reads `os.environ`). Here they are looked up once,
    when the app is made, after this process's tracing was configured
    (`opd_shared.tracing`, the only place the product sets a provider): with none set, and
    FastAPI not asked to set them up itself at startup (FASTAPI_OTEL_AUTO_CONFIGURE), it is
    off for good; otherwise it is left to FastAPI, unchanged. Only a provider set after the
    app was made would now go unnoticed. The gateway decided so first
    (`booking_gateway.main`); `service_app` now decides so for every service."""
    if os.environ.get("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true":
        return None
    providers = (trace.get_tracer_provider(), metrics.get_meter_provider(),
                 _logs.get_logger_provider())
    return _TELEMETRY_OFF if all(_unconfigured(provider) for provider in providers) else None


def _serve_problem_media_types(app: FastAPI) -> None:
    """FastAPI documents every answer under the route's media type; errors are problem+json.
    Built once, on the first request for the document, as FastAPI's own is."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_media_types(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
