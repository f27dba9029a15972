"""A command message's trace headers (booking_gateway.bus): commands of several requests
leave in one message, and each keeps its own request's trace or none; with tracing off
the message has no trace header at all. Pure logic over the bus, the broker stubbed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

import booking_gateway.bus as bus_module
from booking_gateway.admission import Admission
from booking_gateway.bus import CommandBus
from booking_gateway.settings import GatewaySettings
from opd_contracts import CommandEnvelope
from opd_shared import tracing

from .conftest import booking_envelope


@pytest.fixture
def tracer() -> Iterator[Tracer]:
    """Tracing on (into memory), and a tracer to make a request's span with."""
    provider = tracing.provider_for("test")
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    tracing.start(provider)
    try:
        yield provider.get_tracer("test")
    finally:
        tracing.stop()


def _bus(monkeypatch: pytest.MonkeyPatch, sent: list[dict[str, Any]]) -> CommandBus:
    bus = CommandBus("amqp://a:5672", GatewaySettings(namespace="unit").topology,
                     Admission(10, 1.0))
    bus.connection = SimpleNamespace(is_closed=False)  # type: ignore[assignment]
    bus.channel = SimpleNamespace(is_closed=False)  # type: ignore[assignment]
    bus.exchange = SimpleNamespace(name="commands")  # type: ignore[assignment]

    async def confirmed(channel: Any, body: bytes, exchange: str, routing_key: str,
                        properties: Any, **options: Any) -> None:
        sent.append(properties.headers)

    monkeypatch.setattr(bus_module, "publish_directly", confirmed)
    return bus


async def _requests(bus: CommandBus,
                    tracer: Tracer | None) -> tuple[CommandEnvelope, str | None]:
    """Two requests at once (for one command queue), the second in a span of its own when
    there is a tracer, the first in none; both end without a reply (None). The second
    command, and its request's traceparent as tracing gives it (None while off)."""
    lone, traced = booking_envelope(), booking_envelope()
    untraced_wait = asyncio.create_task(bus.send(lone, 0.01))
    traceparent = None
    if tracer is None:
        traced_wait = asyncio.create_task(bus.send(traced, 0.01))
    else:
        with tracer.start_as_current_span("POST /tokens"):
            traceparent = tracing.current_traceparent()
            traced_wait = asyncio.create_task(bus.send(traced, 0.01))
    assert await asyncio.gather(untraced_wait, traced_wait) == [None, None]
    return traced, traceparent


async def test_each_command_of_a_message_keeps_its_own_requests_trace(monkeypatch, tracer):
    sent: list[dict[str, Any]] = []
    bus = _bus(monkeypatch, sent)

    envelope, traceparent = await _requests(bus, tracer)

    assert traceparent is not None
    assert sent == [{"traceparent": traceparent,  # one message, of both commands
                     tracing.ITEMS_HEADER: {str(envelope.command_id): traceparent}}]
    assert bus.traceparents == {}


async def test_commands_of_requests_without_a_trace_carry_no_trace_header(monkeypatch, tracer):
    sent: list[dict[str, Any]] = []
    bus = _bus(monkeypatch, sent)

    await _requests(bus, None)  # tracing on, but neither request in a span

    assert sent == [{}]
    assert bus.traceparents == {}


async def test_with_tracing_off_a_command_message_carries_no_trace_header(monkeypatch):
    sent: list[dict[str, Any]] = []
    bus = _bus(monkeypatch, sent)

    tracer = tracing.provider_for("test").get_tracer("test")  # a span, tracing off
    _, traceparent = await _requests(bus, tracer)

    assert traceparent is None
    assert sent == [{}]
