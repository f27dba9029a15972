"""Tracing (opd_shared.tracing): off, it adds no header and records no span; on, each item
of a batch continues its own trace, statements join it, contexts cross a real broker per
item, and the outbox relay continues the trace a row stored."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence

import aio_pika
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import BaseModel
from sqlalchemy import text

from opd_shared import tracing
from opd_shared.app import service_app
from opd_shared.database import new_engine
from opd_shared.messaging import ACK, BatchConsumer, Batching, Delivery, Outcome
from opd_shared.retries import Retries
from opd_shared.settings import ServiceSettings

from .broker_fakes import FakeChannel, FakeMessage

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
OTHER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Order(BaseModel):
    name: str


class Orders(BatchConsumer[Order]):
    """Runs `work` for each batch, noting each order's outbox traceparent meanwhile."""

    def __init__(self, work=None) -> None:
        super().__init__("orders", "dead", Batching(batch_max=10, window_s=0, max_pause=0.001))
        self.subscription.retries = Retries(FakeChannel(), "orders", "dead")  # type: ignore[arg-type]
        self.work, self.outbox = work, {}

    def decode(self, message) -> Order:
        return Order.model_validate_json(message.body)

    def trace_items(self, item: Order):
        return ((item.name, f"handle {item.name}"),)

    async def handle(self, deliveries: Sequence[Delivery[Order]]) -> Sequence[Outcome]:
        if self.work is not None:
            await self.work()
        self.outbox |= {d.item.name: tracing.traceparent_for(d.item.name) for d in deliveries}
        return [ACK] * len(deliveries)


def _message(name: str, headers: dict | None) -> FakeMessage:
    return FakeMessage(f'{{"name": "{name}"}}'.encode(), message_id=name,
                       headers=headers or {})


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory; off again afterwards."""
    exporter = InMemorySpanExporter()
    provider = tracing.provider_for("test")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.start(provider)
    try:
        yield exporter
    finally:
        tracing.stop()


def _named(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    [span] = [s for s in exporter.get_finished_spans() if s.name == name]
    return span


def _traceparent(span: ReadableSpan) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-01"


@pytest.mark.parametrize("environment", [{}, {"OTEL_TRACES_EXPORTER": "none"},
                                         {"OTEL_TRACES_EXPORTER": "console",
                                          "OTEL_SDK_DISABLED": "true"}],
                         ids=["unset", "none", "sdk disabled"])
def test_tracing_is_off_unless_an_exporter_is_named(monkeypatch, environment):
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert tracing.configure("allocator") is False
    assert tracing.enabled() is False


async def test_off_the_booking_path_adds_no_header_and_records_no_span(infra, monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    exporter = InMemorySpanExporter()
    provider = tracing.provider_for("test")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.start(provider)
    tracing.stop()  # on, then off: nothing of it stays behind
    engine = new_engine(f"{infra.postgres_url}/postgres")

    async def statement() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    consumer = Orders(statement)
    await consumer._handle([_message("a", {"traceparent": PARENT})])  # type: ignore[list-item]
    app = service_app(ServiceSettings(_env_file=None))  # type: ignore[call-arg]
    await engine.dispose()

    assert tracing.headers_here("command-1") is None
    assert tracing.relay_headers(PARENT, "event-1", "token.allocated",
                                 dt.datetime.now(dt.UTC)) is None
    assert consumer.outbox == {"a": None}
    assert tracing.handling("q", [], consumer.trace_items) is tracing._NOTHING
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert exporter.get_finished_spans() == ()


async def test_a_lone_item_continues_its_trace_and_its_statements_join_it(infra, spans):
    engine = new_engine(f"{infra.postgres_url}/postgres")

    async def statement() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    consumer = Orders(statement)
    await consumer._handle([_message("a", tracing.message_headers({"a": PARENT}))])  # type: ignore[list-item]
    await engine.dispose()

    handled = _named(spans, "handle a")
    select = _named(spans, "SELECT")
    assert (handled.kind, f"{handled.context.trace_id:032x}") == (SpanKind.CONSUMER,
                                                                   PARENT.split("-")[1])
    assert handled.parent is not None and handled.parent.span_id == int(PARENT.split("-")[2], 16)
    assert select.parent is not None and select.parent.span_id == handled.context.span_id
    assert consumer.outbox == {"a": _traceparent(handled)}  # the outbox row's traceparent


async def test_items_of_several_traces_in_one_batch_each_continue_theirs_linked_to_it(spans):
    consumer = Orders()
    await consumer._handle([  # type: ignore[list-item]
        _message("a", tracing.message_headers({"a": PARENT})),
        _message("b", tracing.message_headers({"b": OTHER})),
        _message("c", None),  # no context: in the batch, with no span of its own
    ])

    batch = _named(spans, "orders process")
    a, b = _named(spans, "handle a"), _named(spans, "handle b")
    assert batch.parent is None
    assert [f"{link.context.trace_id:032x}" for link in batch.links] == [
        PARENT.split("-")[1], OTHER.split("-")[1]]
    assert [f"{s.context.trace_id:032x}" for s in (a, b)] == [PARENT.split("-")[1],
                                                              OTHER.split("-")[1]]
    assert [[link.context.span_id for link in s.links] for s in (a, b)] == [
        [batch.context.span_id]] * 2
    assert consumer.outbox == {"a": _traceparent(a), "b": _traceparent(b), "c": None}
    assert len(spans.get_finished_spans()) == 3


async def test_each_item_of_one_message_keeps_its_own_context_through_rabbitmq(infra):
    headers = tracing.message_headers({"command-1": PARENT, "command-2": None,
                                       "command-3": OTHER})
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{infra.namespace('tracing')}.q", exclusive=True)
        await channel.default_exchange.publish(aio_pika.Message(b"{}", headers=headers),
                                               routing_key=queue.name)
        message = await _first(queue)
        await message.ack()

    found = {item: tracing.item_context(message.headers, item)
             for item in ("command-1", "command-2", "command-3")}
    assert found["command-2"] is None
    assert {item: _parent_of(context)
            for item, context in found.items() if context is not None} == {
        "command-1": PARENT, "command-3": OTHER}


def test_one_item_messages_carry_the_standard_header_alone():
    assert tracing.message_headers({"command-1": PARENT}) == {"traceparent": PARENT}
    assert tracing.message_headers({"command-1": None}) is None
    assert tracing.item_context({"traceparent": PARENT}, "anything") is not None
    assert tracing.item_context({"traceparent": "00-garbage"}, "anything") is None


def test_the_relay_continues_the_trace_its_row_stored_from_the_rows_creation(spans):
    created = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=40)

    headers = tracing.relay_headers(PARENT, "event-1", "token.allocated", created)

    relay = _named(spans, "relay token.allocated")
    assert headers == {"traceparent": _traceparent(relay)}
    assert relay.kind is SpanKind.PRODUCER
    assert relay.parent is not None and relay.parent.span_id == int(PARENT.split("-")[2], 16)
    assert relay.start_time == int(created.timestamp() * 1e9)
    assert tracing.relay_headers(None, "event-2", "token.allocated", created) is None


async def test_a_statement_outside_any_traced_operation_records_nothing(infra, spans):
    engine = new_engine(f"{infra.postgres_url}/postgres")
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    await engine.dispose()

    assert spans.get_finished_spans() == ()


def _parent_of(context) -> str:
    carrier: dict[str, str] = {}
    tracing._W3C.inject(carrier, context=context)
    return carrier["traceparent"]


async def _first(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    for _ in range(50):
        message = await queue.get(fail=False)
        if message is not None:
            return message
        await asyncio.sleep(0.05)
    raise AssertionError("the message did not arrive")


def test_an_errors_text_reaches_the_exporter_without_the_patient():
    exporter = InMemorySpanExporter()
    provider = tracing.provider_for("test")
    provider.add_span_processor(SimpleSpanProcessor(tracing.Redacting(exporter)))
    refused = ValueError("invalid input for query argument $2: 'Asha Rao' (phone 98765 43210)")

    with contextlib.suppress(ValueError), provider.get_tracer("test").start_as_current_span(
            "decide book_token"):
        raise refused

    [span] = exporter.get_finished_spans()
    exported = span.to_json()
    assert "Asha" not in exported and "98765" not in exported
    assert span.status.description is not None and "$2" in span.status.description
    assert span.events[0].attributes["exception.type"] == "ValueError"


def test_otlp_export_goes_where_the_standard_variables_say(tmp_path):
    """The real start-up path in a process of its own: OTEL_* read, spans sent as OTLP over
    HTTP to the endpoint named, under the service's name, flushed when the process ends."""
    received: list[tuple[str, bytes]] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = ("import datetime as dt; from opd_shared import tracing; "
              "assert tracing.configure('queue_view'); "
              f"tracing.relay_headers('{PARENT}', 'event-1', 'token.allocated', "
              "dt.datetime.now(dt.UTC))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env |= {"OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}"}
    try:
        subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, check=True,
                       timeout=60)
    finally:
        server.shutdown()
        server.server_close()

    [(path, body)] = received
    request = ExportTraceServiceRequest.FromString(body)
    [resource] = request.resource_spans
    names = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert path == "/v1/traces"
    assert names["service.name"] == "queue-view"
    assert [s.name for scope in resource.scope_spans for s in scope.spans] == [
        "relay token.allocated"]


class Bundle(BaseModel):
    names: list[str]


class Bundles(BatchConsumer[Bundle]):
    """A consumer of messages that carry several items each (message contract v2)."""

    def __init__(self) -> None:
        super().__init__("bundles", "dead", Batching(batch_max=10, window_s=0, max_pause=0.001))
        self.subscription.retries = Retries(FakeChannel(), "bundles", "dead")  # type: ignore[arg-type]
        self.outbox: dict[str, str | None] = {}

    def decode(self, message) -> Bundle:
        return Bundle.model_validate_json(message.body)

    def trace_items(self, item: Bundle):
        return ((name, f"handle {name}") for name in item.names)

    async def handle(self, deliveries: Sequence[Delivery[Bundle]]) -> Sequence[Outcome]:
        self.outbox |= {n: tracing.traceparent_for(n) for d in deliveries for n in d.item.names}
        return [ACK] * len(deliveries)


async def test_each_item_of_a_message_of_several_continues_its_own_trace(spans):
    created = dt.datetime.now(dt.UTC)
    headers = tracing.message_headers({  # as a relay sending two rows in one message would
        "a": tracing.relayed(PARENT, "a", "token.allocated", created),
        "b": tracing.relayed(OTHER, "b", "token.allocated", created)})
    consumer = Bundles()

    await consumer._handle([FakeMessage(b'{"names": ["a", "b"]}', message_id="m",  # type: ignore[list-item]
                                        headers=headers or {})])

    a, b = _named(spans, "handle a"), _named(spans, "handle b")
    relays = [s for s in spans.get_finished_spans() if s.name == "relay token.allocated"]
    assert [f"{s.context.trace_id:032x}" for s in (a, b)] == [PARENT.split("-")[1],
                                                              OTHER.split("-")[1]]
    assert [s.parent.span_id for s in (a, b) if s.parent] == [r.context.span_id for r in relays]
    assert consumer.outbox == {"a": _traceparent(a), "b": _traceparent(b)}
    assert _named(spans, "bundles process").parent is None
