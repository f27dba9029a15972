"""HTTP entrypoint: `uvicorn allocator.main:create_app --factory --port 8003`.

The allocator serves no public API: its work arrives on RabbitMQ. The app is its health,
readiness and operators' replays; its lifespan runs everything `bootstrap` builds.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from allocator import bootstrap
from allocator.bootstrap import MIGRATIONS
from allocator.entrypoints import admin
from allocator.service_layer.decided import Handlers
from allocator.service_layer.handlers import HANDLERS
from allocator.settings import AllocatorSettings
from opd_shared.access import open_guard
from opd_shared.app import process_settings, service_app
from opd_shared.health import add_health_routes

__all__ = ["MIGRATIONS", "create_app"]


def create_app(settings: AllocatorSettings | None = None,
               handlers: Handlers = HANDLERS) -> FastAPI:
    """The allocator's app; `handlers` decide the commands (a test may pass its own)."""
    settings = settings or process_settings(AllocatorSettings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.guard = guard = await open_guard(settings)
        try:
            async with bootstrap.start(settings, handlers) as runtime:
                app.state.runtime = runtime
                yield
        finally:
            await guard.close()

    app = service_app(settings, title="OPD allocator", lifespan=lifespan,
                      description="Health, readiness and operators' replays; no public API.")
    add_health_routes(app)
    app.include_router(admin.router)
    return app
