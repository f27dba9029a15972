"""The gateway, made as every service (opd_shared.app.service_app), decides FastAPI's own
OpenTelemetry once: off while no provider is set. How that decision matches FastAPI's own
on a request: shared/tests/test_shared_app_telemetry.py."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from booking_gateway.main import create_app
from booking_gateway.settings import GatewaySettings


def _no_provider_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that never set one (another test may have set the global one)."""
    unset = trace.ProxyTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: unset)


def test_a_gateway_made_with_no_provider_set_leaves_fastapis_telemetry_off(monkeypatch):
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    _no_provider_set(monkeypatch)

    app = create_app(GatewaySettings(namespace="telemetry_unused"))

    assert not any(app._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
