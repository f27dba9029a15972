"""FastAPI's own OpenTelemetry is decided once for every service's app
(`opd_shared.app.native_telemetry`), as FastAPI itself would decide it on each request:
off while no provider is set, left to FastAPI when one is (or when FastAPI is asked to set
them up at startup)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from opd_shared.app import native_telemetry, service_app
from opd_shared.settings import ServiceSettings

SIGNALS = ("tracing", "metrics", "logs")


def _no_provider_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that never set one (another test may have set the global one)."""
    unset = trace.ProxyTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: unset)
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)


def _fastapis_verdict(telemetry: dict | None) -> bool:
    """Whether FastAPI, configured so, would trace a request arriving now."""
    return FastAPI(telemetry=telemetry)._native_telemetry.enabled()


@pytest.mark.parametrize("situation", ["nothing set", "a tracer provider", "auto-configure"])
def test_fastapis_telemetry_is_decided_as_fastapi_would_decide_it(situation, monkeypatch):
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


def test_a_service_app_made_with_no_provider_set_leaves_fastapis_telemetry_off(monkeypatch):
    _no_provider_set(monkeypatch)

    app = service_app(ServiceSettings(_env_file=None))  # type: ignore[call-arg]

    assert not any(app._telemetry[signal] for signal in SIGNALS)


def test_a_service_app_made_with_a_provider_set_leaves_fastapis_telemetry_to_fastapi(
        monkeypatch):
    _no_provider_set(monkeypatch)
    provider = TracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)

    app = service_app(ServiceSettings(_env_file=None))  # type: ignore[call-arg]

    assert all(app._telemetry[signal] for signal in SIGNALS)
    assert app._native_telemetry.enabled()


def test_telemetry_a_service_passes_is_kept(monkeypatch):
    _no_provider_set(monkeypatch)

    app = service_app(ServiceSettings(_env_file=None),  # type: ignore[call-arg]
                      telemetry={"tracing": True, "tracer_provider": TracerProvider()})

    assert app._native_telemetry.enabled()
