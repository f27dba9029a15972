"""FastAPI's own OpenTelemetry is decided once for the gateway (booking_gateway.main), and
decided as FastAPI itself would decide it on a request: off while no provider is set, left
to FastAPI when one is (or when FastAPI is asked to set them up at startup)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from booking_gateway.main import create_app, native_telemetry
from booking_gateway.settings import GatewaySettings


def _no_provider_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that never set one (another test may have set the global one)."""
    unset = trace.ProxyTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: unset)


def _fastapis_verdict(telemetry: dict | None) -> bool:
    """Whether FastAPI, configured so, would trace a request arriving now."""
    return FastAPI(telemetry=telemetry)._native_telemetry.enabled()


@pytest.mark.parametrize("situation", ["nothing set", "a tracer provider", "auto-configure"])
def test_the_gateway_decides_fastapis_telemetry_as_fastapi_would(situation, monkeypatch):
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    _no_provider_set(monkeypatch)
    if situation == "a tracer provider":
        provider = TracerProvider()
        monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    elif situation == "auto-configure":
        monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")

    decided = native_telemetry()

    assert _fastapis_verdict(decided) == _fastapis_verdict(None)
    if situation == "nothing set":
        assert decided is not None  # decided here, not asked again on every request
    else:
        assert decided is None  # FastAPI's default, untouched


def test_a_gateway_made_with_no_provider_set_leaves_fastapis_telemetry_off(monkeypatch):
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    _no_provider_set(monkeypatch)

    app = create_app(GatewaySettings(namespace="telemetry_unused"))

    assert not any(app._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
