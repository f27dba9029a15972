"""HTTP entrypoint: `uvicorn queue_view.main:create_app --factory --port 8001`.

Nothing is built at import time; the lifespan builds the runtime from the settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opd_shared.logging import configure_logging
from queue_view import bootstrap
from queue_view.display.page import mount_page
from queue_view.errors import NotFoundError, not_found_handler
from queue_view.routes import api, health
from queue_view.settings import QueueViewSettings

__all__ = ["create_app"]


def create_app(settings: QueueViewSettings | None = None) -> FastAPI:
    """Build the app; without `settings` it is the process entrypoint, reading the
    environment and owning the log configuration (tests pass settings and keep theirs)."""
    if settings is None:
        settings = QueueViewSettings()
        configure_logging(settings.service, settings.log_level, settings.log_json)
    resolved = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with bootstrap.start(resolved) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="OPD queue-view",
        description="Read model of doctors, slots, queues and tokens for displays and patients",
        version="1",
        lifespan=lifespan,
    )
    app.add_exception_handler(NotFoundError, not_found_handler)
    app.include_router(health.router)
    app.include_router(api)
    mount_page(app)
    return app
