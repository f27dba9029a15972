"""Our HTTP metrics layer records what prometheus-fastapi-instrumentator's middleware did,
series for series, so dashboards and alerts read the same names and labels: both drive the
same requests and their registries are compared (the durations' values aside)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from opd_shared.http import ApiError, install_error_handlers
from opd_shared.http_metrics import HttpMetrics

EXCLUDED = ["/metrics", "/healthz", "/readyz"]
DURATIONS = "http_request_duration"  # their sums and buckets differ between two runs


def _app(instrument) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, max_body_bytes=100)
    instrument(app)

    @app.get("/api/v1/tokens/{token_id}")
    async def token(token_id: int) -> dict:
        return {"id": token_id}

    @app.post("/api/v1/tokens")
    async def book(request: Request) -> dict:
        return {"size": len(await request.body())}

    @app.get("/refused")
    async def refused() -> None:
        raise ApiError(409, "conflict", "no")  # type: ignore[arg-type]

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app


async def _drive(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        for token_id in (1, 2, 3):
            await client.get(f"/api/v1/tokens/{token_id}")
        await client.get("/api/v1/tokens/x")  # 422
        await client.post("/api/v1/tokens", content=b"x" * 40)
        await client.post("/api/v1/tokens", content=b"x" * 101)  # 413
        await client.delete("/api/v1/tokens")  # 405
        await client.get("/nowhere")  # 404, untemplated
        await client.get("/refused")
        await client.get("/healthz")  # excluded
        await client.get("/healthz/deep")  # excluded although no route has it


def _samples(registry: CollectorRegistry) -> dict[tuple, float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))):
            (0.0 if sample.name.startswith(DURATIONS)
             and sample.name.endswith(("_sum", "_bucket")) else sample.value)
            for family in registry.collect() for sample in family.samples
            if not sample.name.endswith("_created")}


async def test_our_layer_records_the_series_the_instrumentator_recorded():
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    await _drive(_app(lambda app: Instrumentator(excluded_handlers=EXCLUDED, registry=theirs)
                      .instrument(app)))
    await _drive(_app(lambda app: app.add_middleware(HttpMetrics, registry=ours,
                                                     excluded=EXCLUDED)))

    expected = _samples(theirs)
    assert expected[("http_requests_total", (("handler", "/api/v1/tokens/{token_id}"),
                                             ("method", "GET"), ("status", "2xx")))] == 3
    assert _samples(ours) == expected
    assert _families(ours) == _families(theirs)


def _families(registry: CollectorRegistry) -> dict[str, tuple[str, str]]:
    return {family.name: (family.type, family.documentation) for family in registry.collect()}
