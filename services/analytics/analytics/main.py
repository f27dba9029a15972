"""The composition root: `uvicorn analytics.main:create_app --factory --port 8002`.

Nothing runs at import time; the lifespan runs `bootstrap.start` (opd_shared.app).
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from analytics import bootstrap
from analytics.bootstrap import Clock, utc_now
from analytics.routes import dashboard, figures, history, reports
from analytics.routes.dashboard import STATIC_DIR
from analytics.settings import AnalyticsSettings
from opd_shared.app import process_settings, service_app
from opd_shared.health import add_health_routes

__all__ = ["create_app"]


def create_app(settings: AnalyticsSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or process_settings(AnalyticsSettings)
    app = service_app(
        settings, partial(bootstrap.start, clock=clock), title="OPD analytics",
        summary="Management figures computed from the allocator's events",
    )
    add_health_routes(app)
    app.include_router(figures.router, prefix="/api/v1")
    app.include_router(reports.router, prefix="/api/v1")
    app.include_router(history.router, prefix="/api/v1")
    app.include_router(dashboard.router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    return app
