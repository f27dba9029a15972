"""The booking gateway: every write enters here and leaves as a command."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Response

from booking_gateway.bus import CommandBus
from booking_gateway.routes import doctors, slots, tokens
from booking_gateway.settings import GatewaySettings
from opd_shared.access import open_guard
from opd_shared.app import service_app
from opd_shared.asyncapi import asyncapi_json
from opd_shared.health import add_health_routes
from opd_shared.logging import configure_logging

__all__ = ["create_app"]

log = logging.getLogger("booking_gateway")


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging("booking-gateway", settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        guard = await open_guard(settings)
        bus = CommandBus(settings.amqp_url, settings.topology)
        await bus.connect()
        app.state.bus, app.state.settings, app.state.connection = bus, settings, bus.connection
        app.state.guard, app.state.engine = guard, guard.store.engine
        log.info("gateway publishing to %s (%d partitions)", settings.topology.commands_exchange,
                 settings.partitions)
        try:
            yield
        finally:
            await bus.close()
            await guard.close()

    app = service_app(settings, title="OPD booking gateway", version="1.0", lifespan=lifespan,
                      description="Bookings, cancellations, emergencies and the token "
                                  "lifecycle.")
    add_health_routes(app)
    for module in (doctors, slots, tokens):
        app.include_router(module.router)

    if settings.api_docs:  # the broker's inventory, documented and switched off with /docs
        @app.get("/asyncapi.json", tags=["docs"],
                 summary="Every message on the broker (AsyncAPI 3)")
        async def asyncapi() -> Response:
            return Response(asyncapi_json(settings.topology), media_type="application/json")

    return app

