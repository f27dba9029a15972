"""HTTP entrypoint: `uvicorn notifier.main:create_app --factory --port 8005`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from fastapi import FastAPI

from notifier import bootstrap
from notifier.routes import router
from notifier.settings import NotifierSettings
from opd_shared.app import process_settings, service_app
from opd_shared.health import add_health_routes

__all__ = ["create_app"]

DESCRIPTION = """Tells waiting patients when their turn is near, when they are called, moved
or cancelled, by webhook to the channel app that booked and by SMS. Every notification and
every send (with its failures) is listed for desk and staff keys; a patient opts out with
the ticket from their slip."""


def create_app(settings: NotifierSettings | None = None,
               clock: Callable[[], dt.datetime] | None = None) -> FastAPI:
    settings = settings or process_settings(NotifierSettings)
    start = functools.partial(bootstrap.start, clock=clock or bootstrap.utc_now)
    app = service_app(settings, start, title="OPD notifier", description=DESCRIPTION,
                      version="1")
    add_health_routes(app)
    app.include_router(router)
    return app
