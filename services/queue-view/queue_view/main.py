"""HTTP entrypoint: `uvicorn queue_view.main:create_app --factory --port 8001`.

Nothing is built at import time; the lifespan builds the runtime and the API-key guard
from the settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opd_shared.access import open_guard
from opd_shared.app import service_app
from opd_shared.logging import configure_logging
from queue_view import bootstrap
from queue_view.display.page import mount_page
from queue_view.routes import api, health
from queue_view.settings import QueueViewSettings

__all__ = ["create_app"]

DESCRIPTION = """Read model of doctors, slots, queues and tokens for displays and patients.

Every read under /api/v1 needs `Authorization: Bearer <key>` (any role), unless the
deployment opens reads (`OPD_OPEN_READS`); patients' names, phones and notes are null
except for keys that may read patients (desk, staff, admin); /api/v1/admin is for admin
keys only."""


def create_app(settings: QueueViewSettings | None = None) -> FastAPI:
    """Build the app; without `settings` it is the process entrypoint, reading the
    environment and owning the log configuration (tests pass settings and keep theirs)."""
    if settings is None:
        settings = QueueViewSettings()
        configure_logging(settings.service, settings.log_level, settings.log_json)
    resolved = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.guard = guard = await open_guard(resolved)
        try:
            async with bootstrap.start(resolved) as runtime:
                app.state.runtime = runtime
                yield
        finally:
            await guard.close()

    app = service_app(settings, title="OPD queue-view", description=DESCRIPTION, version="1",
                      lifespan=lifespan)
    app.include_router(health.router)
    app.include_router(api)
    mount_page(app)
    return app
