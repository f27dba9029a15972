"""The composition root: `uvicorn analytics.main:create_app --factory --port 8002`.

Nothing runs at import time; the lifespan migrates the database, opens the API-key store,
declares the queue, starts consuming, and undoes it all on the way out.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url

from analytics.consumer import build_consumer
from analytics.database import MIGRATIONS_DIR, create_engine, create_session_factory
from analytics.routes import dashboard, figures, health, history, reports
from analytics.routes.dashboard import STATIC_DIR
from analytics.runtime import Clock, Runtime, utc_now
from analytics.settings import AnalyticsSettings
from opd_shared.access import AccessPolicy, Guard, key_store
from opd_shared.app import service_app
from opd_shared.database import migrate
from opd_shared.logging import configure_logging

__all__ = ["create_app"]

log = logging.getLogger(__name__)
HTTP_CONNECTIONS = 4  # beside the consumer's one, for the figures' queries


def _lifespan(
    settings: AnalyticsSettings, clock: Clock
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, MIGRATIONS_DIR)
        engine = create_engine(settings.database_url, 1 + HTTP_CONNECTIONS)
        sessions = create_session_factory(engine)
        consumer = build_consumer(settings, sessions)
        keys = key_store(settings)
        try:
            await keys.prepare()
            app.state.guard = Guard(keys, settings.open_reads, AccessPolicy.of(settings))
            await consumer.start()
            app.state.runtime = Runtime(settings, engine, sessions, consumer, clock)
            log.info(
                "analytics started: consuming %s (batches of up to %d) into database %s",
                consumer.queue_name, settings.batch_max, make_url(settings.database_url).database,
            )
            yield
        finally:
            await consumer.stop()
            await engine.dispose()
            await keys.close()
            log.info("analytics stopped")

    return lifespan


def create_app(settings: AnalyticsSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    if settings is None:
        # A process of its own (uvicorn): read the environment and own the log format.
        # Tests pass settings in and keep pytest's log capture.
        settings = AnalyticsSettings()
        configure_logging(settings.service, settings.log_level, settings.log_json)
    app = service_app(
        settings,
        title="OPD analytics",
        summary="Management figures computed from the allocator's events",
        lifespan=_lifespan(settings, clock),
    )
    app.include_router(health.router)
    app.include_router(figures.router, prefix="/api/v1")
    app.include_router(reports.router, prefix="/api/v1")
    app.include_router(history.router, prefix="/api/v1")
    app.include_router(dashboard.router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    return app
