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
from opd_shared.heap import freeze_survivors

__all__ = ["MIGRATIONS", "create_app", "freeze_cache_survivors"]

# Memory a cached token takes, measured (~2.1 KB: 43 MB for 20,000), with room to spare:
# how far the schedule cache can explain the process's growth (opd_shared.heap).
BYTES_PER_CACHED_TOKEN = 4096


def freeze_cache_survivors(settings: AllocatorSettings) -> None:
    """In an allocator process (its start-up heap settled: `process_settings`), whatever
    survives a collection is frozen, while a full schedule cache explains the memory it
    takes (opd_shared.heap.freeze_survivors: no collection walks the cached tokens again)."""
    freeze_survivors(BYTES_PER_CACHED_TOKEN * settings.schedule_cache_tokens)


def create_app(settings: AllocatorSettings | None = None,
               handlers: Handlers = HANDLERS) -> FastAPI:
    """The allocator's app; `handlers` decide the commands (a test may pass its own)."""
    if settings is None:
        settings = process_settings(AllocatorSettings)
        freeze_cache_survivors(settings)

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
