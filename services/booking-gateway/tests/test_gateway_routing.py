"""POST /api/v1/tokens is matched before any other route (booking_gateway.main), and every
request still reaches the route it reached with the routes in the order they were declared:
no route the booking's went ahead of matches a path of its. The OpenAPI document is the one
the routes in their declared order make, member for member and in the same order."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.routing import Match

from booking_gateway import main
from booking_gateway.settings import GatewaySettings

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def _apps(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The gateway, and the same gateway with its routes in the order declared."""
    settings = GatewaySettings(namespace="routing_unused")
    served = main.create_app(settings)
    monkeypatch.setattr(main, "_match_bookings_first", lambda app: None)
    return served, main.create_app(settings)


def _scope(app: Any, method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
            "query_string": b"", "app": app}


def _templates(route: Any) -> tuple[str, ...]:
    """A route's path, or an included router's paths: which of the app's routes it is."""
    if getattr(route, "path", None):
        return (route.path,)
    return tuple(sorted(c.path for c in route.effective_route_contexts()))


def _reached(app: Any, method: str, path: str) -> tuple[str, tuple[str, ...]]:
    """Which of the app's routes its router picks, as Starlette's Router does: the first
    that matches in full, else the first that matches the path alone (405)."""
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(_scope(app, method, path))
        if match is Match.FULL:
            return "full", _templates(route)
        if match is Match.PARTIAL and partial is None:
            partial = "partial", _templates(route)
    return partial or ("none", ())


def _paths(app: Any) -> set[str]:
    """Every route's path with its parameters filled in, and some no route has."""
    paths = {"/", "/api/v1", "/api/v1/tokens/", "/api/v1/tokensx", "/nowhere"}
    for route in app.router.routes:
        paths |= {re.sub(r"{[^}]+}", "7", template) for template in _templates(route)}
    return paths


def test_a_booking_is_matched_by_the_first_route(monkeypatch):
    served, _ = _apps(monkeypatch)

    first = served.router.routes[0]

    assert first.matches(_scope(served, "POST", "/api/v1/tokens"))[0] is Match.FULL


def test_every_request_reaches_the_route_it_reached_in_the_declared_order(monkeypatch):
    served, declared = _apps(monkeypatch)
    paths = _paths(declared)
    assert "/api/v1/tokens/7/cancel" in paths and "/readyz" in paths  # the routes were found

    routed = {(method, path): _reached(served, method, path)
              for method in METHODS for path in paths}

    assert routed == {(method, path): _reached(declared, method, path)
                      for method in METHODS for path in paths}
    outcome, templates = routed["POST", "/api/v1/tokens"]
    assert outcome == "full" and "/api/v1/tokens" in templates


def test_the_openapi_document_is_the_declared_routes_own(monkeypatch):
    served, declared = _apps(monkeypatch)

    document = served.openapi()

    assert list(document["paths"])[:2] == ["/healthz", "/readyz"]
    assert json.dumps(document) == json.dumps(declared.openapi())  # the order too
