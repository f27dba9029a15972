"""The booking gateway: every write enters here and leaves as a command.

`uvicorn booking_gateway.main:create_app --factory --port 8000`; nothing is built at import
time; the lifespan runs `bootstrap.start` (opd_shared.app).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from starlette.routing import Match

from booking_gateway import bootstrap
from booking_gateway.door import outermost
from booking_gateway.routes import doctors, slots, tokens
from booking_gateway.settings import GatewaySettings
from opd_shared.app import process_settings, service_app
from opd_shared.asyncapi import asyncapi_json
from opd_shared.health import add_health_routes

__all__ = ["create_app"]


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or process_settings(GatewaySettings)
    app = service_app(settings, bootstrap.start,
                      title="OPD booking gateway", version="1.0",
                      description="Bookings, cancellations, emergencies and the token "
                                  "lifecycle.")
    outermost(app)  # admission's refusals, before any layer (booking_gateway.door)
    add_health_routes(app)
    # Tokens first: routes are matched in order, and POST /api/v1/tokens is the hot path
    # (behind doctors and slots, each booking was tried against each of their routes first).
    tokens.add_booking_route(app)  # the first of the tokens router's, on the app itself
    for module in (tokens, doctors, slots):
        app.include_router(module.router)
    _match_bookings_first(app)

    if settings.api_docs:  # the broker's inventory, documented and switched off with /docs

        @app.get(
            "/asyncapi.json", tags=["docs"], summary="Every message on the broker (AsyncAPI 3)"
        )
        async def asyncapi() -> Response:
            return Response(asyncapi_json(settings.topology), media_type="application/json")

    return app


BOOKING = {"type": "http", "method": "POST", "path": "/api/v1/tokens", "root_path": "",
           "headers": [], "query_string": b""}


def _match_bookings_first(app: FastAPI) -> None:
    """The routes are tried in order, and the documentation's and the probes' came first:
    a booking was matched against /openapi.json, /docs, /docs/oauth2-redirect, /redoc,
    /metrics, /healthz and /readyz before its own (about 20 us of its CPU). The route that
    answers it goes first. No other route matches a path under /api/v1/tokens, so every
    request is routed as before. The OpenAPI document, made from the same list, keeps its
    order: the paths of the routes passed (/healthz, /readyz) stay first."""
    routes = app.router.routes
    (booking,) = [route for route in routes
                  if route.matches({**BOOKING, "app": app})[0] is Match.FULL]
    passed = {getattr(route, "path", None) for route in routes[:routes.index(booking)]}
    routes.remove(booking)
    routes.insert(0, booking)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        paths = document["paths"]
        document["paths"] = {path: paths[path]
                             for path in sorted(paths, key=lambda path: path not in passed)}
        return document

    app.openapi = openapi  # type: ignore[method-assign]
