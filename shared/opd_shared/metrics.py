"""Prometheus metrics: one set of names for the whole product, served at each /metrics.

HTTP request counts and latency histograms are prometheus-fastapi-instrumentator's,
recorded by a layer of our own (opd_shared.http_metrics); the rest are the message path's
own figures, named here once so every service and dashboard agrees.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import SecretStr

from opd_contracts.vocabulary import ErrorCode
from opd_shared.http import ApiError
from opd_shared.http_metrics import HttpMetrics

__all__ = [
    "BATCH_SIZE",
    "COMMANDS_CONSUMED",
    "DEAD_LETTER_DEPTH",
    "DECISION_SECONDS",
    "EVENTS_APPLIED",
    "OUTBOX_LAG_SECONDS",
    "REPLY_TIMEOUTS",
    "SHED",
    "SHED_LIMIT",
    "instrument",
]

COMMANDS_CONSUMED = Counter(
    "opd_commands_consumed_total", "Commands the allocator decided, by partition", ["partition"])
BATCH_SIZE = Histogram(
    "opd_batch_size", "Commands decided in one transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500))
MESSAGE_ITEMS = Histogram(
    "opd_message_items", "Items in one message sent: commands (gateway), replies and events "
    "(allocator). The broker's cost is per message, so the mean is what batching saves",
    ["hop"], buckets=(1, 2, 4, 8, 16, 32, 64, 100))
DECISION_SECONDS = Histogram(
    "opd_decision_seconds", "From a batch's first delivery to its commit",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
OUTBOX_LAG_SECONDS = Histogram(
    "opd_outbox_lag_seconds", "From an event's commit to its publication",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENTS_APPLIED = Counter(
    "opd_events_applied_total", "Events a read model applied (repeats not counted)",
    ["consumer"])
DEAD_LETTER_DEPTH = Gauge(
    "opd_dead_letter_depth", "Messages waiting in the dead-letter queue")
REPLY_TIMEOUTS = Counter(
    "opd_reply_timeouts_total", "Requests answered 202 because no decision came in time")
SHED = Counter(
    "opd_admission_shed_total", "Writes refused with 503 at capacity (admission's limit)")
SHED_LIMIT = Gauge(
    "opd_admission_limit", "How many writes may wait for a decision at once, now")


def instrument(app: FastAPI, key: SecretStr | None = None) -> None:
    """HTTP request counts and latency histograms, and the /metrics endpoint, which needs
    `Authorization: Bearer <key>` when a key is given (OPD_METRICS_KEY): its figures map
    the deployment (routes, queues, load) for anyone who can reach the port.

    The HTTP metrics live in a registry of the app's own (tests build many apps in one
    process; a shared registry would keep only the first app's); /metrics serves it together
    with the process-wide message-path metrics above."""
    http = CollectorRegistry()
    app.add_middleware(HttpMetrics, registry=http,
                       excluded=["/metrics", "/healthz", "/readyz"])

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if key is not None and not _bears(request, key.get_secret_value()):
            raise ApiError(401, ErrorCode.UNAUTHORIZED, "/metrics needs Authorization: Bearer "
                           "<OPD_METRICS_KEY>", headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(http) + generate_latest(REGISTRY),
                        media_type=CONTENT_TYPE_LATEST)


def _bears(request: Request, key: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Constant time, so the answer's timing does not spell the key out.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              key.encode())
