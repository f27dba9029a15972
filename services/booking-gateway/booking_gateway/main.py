"""The booking gateway: every write enters here and leaves as a command.

`uvicorn booking_gateway.main:create_app --factory --port 8000`; nothing is built at import
time; the lifespan runs `bootstrap.start` (opd_shared.app).
"""

from __future__ import annotations

from fastapi import FastAPI, Response

from booking_gateway import bootstrap
from booking_gateway.door import Door
from booking_gateway.routes import doctors, slots, tokens
from booking_gateway.settings import GatewaySettings
from opd_shared.app import process_settings, service_app
from opd_shared.asyncapi import asyncapi_json
from opd_shared.health import add_health_routes

__all__ = ["create_app"]


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or process_settings(GatewaySettings)
    app = service_app(settings, bootstrap.start, door=Door, title="OPD booking gateway",
                      version="1.0", description="Bookings, cancellations, emergencies and "
                                                 "the token lifecycle.")
    add_health_routes(app)
    # Tokens first: routes are matched in order, and POST /api/v1/tokens is the hot path
    # (behind doctors and slots, each booking was tried against each of their routes first).
    for module in (tokens, doctors, slots):
        app.include_router(module.router)

    if settings.api_docs:  # the broker's inventory, documented and switched off with /docs

        @app.get(
            "/asyncapi.json", tags=["docs"], summary="Every message on the broker (AsyncAPI 3)"
        )
        async def asyncapi() -> Response:
            return Response(asyncapi_json(settings.topology), media_type="application/json")

    return app
