"""One booking, followed across every hop: OpenTelemetry traces from the gateway's HTTP
request, through the command message, the allocator's decision, the outbox relay and the
event message, to each read model's apply, with the PostgreSQL statements of each.

Why here and not in each service: the hops are the shared ones (the app skeleton, the
engines, the batch consumer), so the logic lives in this one module and the publish and
consume paths call it in one line each.

**Off by default, and then nearly free.** Tracing starts only when `OTEL_TRACES_EXPORTER`
names an exporter (`otlp`, `console`, `jsonl`, or one a package registers); unset or `none`
(or `OTEL_SDK_DISABLED=true`), nothing is instrumented and every hook returns at its first
line. Measured, the off path costs **1.3-1.9 µs of CPU a booking** (the six hooks one booking
passes: the gateway's publish, the allocator's batch and outbox row, the relay, both read
models' batches; `uv run --no-sync python -m opd_ops.bench.tracing_off`, three runs on this
2-core machine while other work held it at a load of 10-14): under 0.1% of the 2 ms of CPU
a booking has at 1,000 bookings/s (BENCHMARKS.md), nothing beside its 13-30 ms round trip.
On, the same hooks spent 280-300 µs a booking making their five spans (none exported),
before the HTTP and SQL spans and the export: sample
(`OTEL_TRACES_SAMPLER=parentbased_traceidratio`) where every booking's CPU counts.

Configured by the standard variables, read by the OpenTelemetry SDK itself:
`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`; OTLP over
HTTP/protobuf, default `http://localhost:4318`), `OTEL_EXPORTER_OTLP_HEADERS`,
`OTEL_SERVICE_NAME` (default: the service's own name), `OTEL_RESOURCE_ATTRIBUTES`,
`OTEL_TRACES_SAMPLER` and its argument, `OTEL_BSP_*` (the batch export), and
`OTEL_PYTHON_FASTAPI_EXCLUDED_URLS` (default: the health and metrics paths).
`OTEL_TRACES_EXPORTER=jsonl` writes each finished span as one JSON line to the file
`OTEL_EXPORTER_JSONL_FILE` names (default `traces.jsonl`), appended by every process: how
the end-to-end test reads the spans of four processes, and a way to look without a
collector.

How the context crosses each hop:

- **HTTP** (gateway, and every service's reads): `opentelemetry-instrumentation-fastapi`.
- **Messages**: the W3C `traceparent` AMQP header. A message may carry
  several items (commands, events; message contract v2), each from a trace of its own, so
  a message of several items carries `x-opd-trace`, a table of each item's id to its
  traceparent, and the standard header names the first item's; a reader of one item looks
  it up by the item's id (`message_headers`, `item_context`).
- **Consuming a batch** (`handling`): each item with a context gets a span in its own
  trace ("decide book_token", "apply token.allocated"), open while its batch is handled.
  One such item (the usual case below saturation) is the current span, so the batch's SQL
  statements join its trace; several make a batch span of their own, linked to each
  item's context, under which the statements go, and each item's span links to it.
- **The outbox**: a row stores the traceparent of the decision span of the command that
  caused its event (`traceparent_for`, by command id); the relay publishes the event under
  a span from the row's creation to its publication (`relay_headers`), so queue-view and
  analytics continue the booking's trace, whichever relay or sweeper sends it.
- **PostgreSQL**: `opentelemetry-instrumentation-sqlalchemy` on every engine made after
  tracing started (`opd_shared.database.new_engine` asks for `create_async_engine` at
  call time for that reason); the statements sent straight to asyncpg (the allocator's
  round, the read models' batches) get the same span from `opd_shared.driver_statement`.
  A statement outside any traced operation (the sweeper's
  every-second look, the ownership claims) would start a trace of its own per statement;
  the default sampler drops those.
- **No patient data**: statements are recorded without their parameters, no HTTP header
  is recorded, and the text of every error is redacted before export (`Redacting`).

Not `opentelemetry-instrumentation-aio-pika`: it gives a message the context current when
it is published, one per message, and wraps the consume callback, which here only puts
the delivery in the batch consumer's buffer. A relay publishing rows of many bookings, or
a message of several items, needs each item's own context, and the work worth a span is
the batch's handling, not the callback.

The SQLAlchemy instrumentation declares SQLAlchemy below 2.1; 2.1's events are the ones
it uses, so it is started with its version check skipped (a test proves statements appear).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from opd_shared.redact import redact

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ITEMS_HEADER", "Redacting", "configure", "current_traceparent", "enabled", "handling",
           "headers_here", "instrument_app", "item_context", "message_headers",
           "provider_for", "relay_headers", "relayed", "start", "stop", "traceparent_for"]

log = logging.getLogger(__name__)

ITEMS_HEADER = "x-opd-trace"  # item id -> traceparent, on a message of several items
DEFAULT_EXCLUDED_URLS = "healthz,readyz,metrics"
_W3C = TraceContextTextMapPropagator()
_NOTHING = contextlib.nullcontext()


class _State:
    """The process's tracing, or None everywhere while it is off."""

    provider: TracerProvider | None = None
    tracer: trace.Tracer | None = None
    open_items: dict[str, Span] = {}  # noqa: RUF012  (one process-wide registry)


_state = _State()


# --- starting and stopping -----------------------------------------------------------------

def enabled() -> bool:
    return _state.tracer is not None


def configure(service: str) -> bool:
    """Start tracing once per process when the environment asks for it; True when on.
    Called by every service's app (`opd_shared.app.service_app`)."""
    if _state.tracer is not None:
        return True
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")
             if n.strip() and n.strip() != "none"]
    if not names or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    provider = provider_for(service)
    for exporter_name in names:
        exporter, immediate = _exporter(exporter_name)
        exporter = Redacting(exporter)
        provider.add_span_processor(SimpleSpanProcessor(exporter) if immediate
                                    else BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # for any other library's instrumentation
    start(provider)
    log.info("tracing on: %s as %s", ", ".join(names),
             provider.resource.attributes["service.name"])
    return True


def provider_for(service: str) -> TracerProvider:
    """A provider named after the service (or OTEL_SERVICE_NAME), with no exporter yet,
    sampling as OTEL_TRACES_SAMPLER says, else every trace but a stray statement's."""
    name = os.environ.get("OTEL_SERVICE_NAME") or service.replace("_", "-")
    sampler = None if "OTEL_TRACES_SAMPLER" in os.environ else ParentBased(_NoStrayStatements())
    return TracerProvider(resource=Resource.create({"service.name": name}), sampler=sampler)


def start(provider: TracerProvider) -> None:
    """Trace with `provider` from now on (configure does this; tests pass their own)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    _state.provider, _state.tracer = provider, provider.get_tracer("opd")
    SQLAlchemyInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)


def stop() -> None:
    """Tracing off again, for engines and apps made from now on (tests)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    if _state.tracer is not None:
        SQLAlchemyInstrumentor().uninstrument()
    _state.provider = _state.tracer = None
    _state.open_items.clear()


def instrument_app(app: FastAPI, service: str) -> None:
    """Trace the app's requests, once tracing is configured (health and metrics excluded)."""
    if not configure(service):
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    excluded = os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=_state.provider,
                                       excluded_urls=excluded,
                                       exclude_spans=["receive", "send"])


class _NoStrayStatements(Sampler):
    """Samples every trace except one a database statement would start on its own."""

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Any = None,
                      links: Sequence[Link] | None = None, trace_state: Any = None,
                      ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes,
                                       links, trace_state)

    def get_description(self) -> str:
        return "NoStrayStatements"


def _exporter(name: str) -> tuple[SpanExporter, bool]:
    """The exporter `OTEL_TRACES_EXPORTER` names, and whether each span goes at once."""
    if name in ("otlp", "otlp_proto_http"):
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                                  os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"))
        if protocol != "http/protobuf":
            raise ValueError(f"OTLP protocol {protocol!r}: only http/protobuf is installed")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(), False
    if name == "console":
        return ConsoleSpanExporter(), True
    if name == "jsonl":
        path = os.environ.get("OTEL_EXPORTER_JSONL_FILE", "traces.jsonl")
        out = open(path, "a", encoding="utf-8")  # noqa: SIM115  (the exporter's, for life)
        return ConsoleSpanExporter(out=out, formatter=_json_line), True
    from opentelemetry.util._importlib_metadata import entry_points

    found = list(entry_points(group="opentelemetry_traces_exporter", name=name))
    if not found:
        raise ValueError(f"OTEL_TRACES_EXPORTER: no exporter named {name!r}")
    return found[0].load()(), False


class Redacting(SpanExporter):
    """Hands `exporter` each span with the text of its errors redacted (opd_shared.redact):
    an error's message may quote what it refused, a patient's name among it (asyncpg quotes
    the argument it could not encode), and the instrumentations record it as it is."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([_redacted(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def _redacted(span: ReadableSpan) -> ReadableSpan:
    if span.status.description is None and not span.events:
        return span
    events = [Event(event.name, {key: redact(value) if isinstance(value, str)
                                 and key.startswith("exception.") else value
                                 for key, value in (event.attributes or {}).items()},
                    event.timestamp) for event in span.events]
    description = span.status.description
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=span.attributes, events=events, links=span.links, kind=span.kind,
        status=Status(span.status.status_code, redact(description) if description else None),
        start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)


def _json_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


# --- publishing ----------------------------------------------------------------------------

def current_traceparent() -> str | None:
    """The current span's context as a W3C traceparent; None while off or outside a span."""
    if _state.tracer is None:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def headers_here(*item_ids: str) -> dict[str, Any] | None:
    """Headers for a message of these items, all from the current span (the gateway's
    request); None while off. Items batched from several requests: take each one's
    `current_traceparent()` in its request, then `message_headers` of them all."""
    if _state.tracer is None:
        return None
    here = current_traceparent()
    return message_headers(dict.fromkeys(item_ids, here))


def message_headers(traceparents: Mapping[str, str | None]) -> dict[str, Any] | None:
    """Headers for a message of these items (item id: its traceparent), or None when none
    has a context: `traceparent` for one item, and `x-opd-trace` too for several."""
    known = {item: parent for item, parent in traceparents.items() if parent}
    if not known:
        return None
    headers: dict[str, Any] = {"traceparent": next(iter(known.values()))}
    if len(traceparents) > 1:
        headers[ITEMS_HEADER] = known
    return headers


def item_context(headers: Mapping[str, Any] | None, item_id: str) -> Context | None:
    """The context the publisher gave item `item_id` of a message, None if it gave none."""
    if not headers:
        return None
    items = headers.get(ITEMS_HEADER)
    parent = items.get(item_id) if isinstance(items, Mapping) else headers.get("traceparent")
    if isinstance(parent, bytes):
        parent = parent.decode()
    if not isinstance(parent, str):
        return None
    context = _W3C.extract({"traceparent": parent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def traceparent_for(item_id: object) -> str | None:
    """The traceparent of the open span of the item `item_id` (a command being decided),
    for the outbox rows of its events; None while off or when it has none."""
    if not _state.open_items:
        return None
    span = _state.open_items.get(str(item_id))
    if span is None:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")


def relay_headers(traceparent: str | None, item_id: str, name: str,
                  since: dt.datetime) -> dict[str, Any] | None:
    """Headers for a message of one outbox row's event (see `relayed`); None while off or
    without a stored trace."""
    if _state.tracer is None or not traceparent:
        return None
    return message_headers({item_id: relayed(traceparent, item_id, name, since)})


def relayed(traceparent: str | None, item_id: str, name: str,
            since: dt.datetime) -> str | None:
    """The traceparent an outbox row's event carries on: of a span in the row's stored
    trace from the row's creation (`since`) to now. A message of several events takes
    `message_headers({event id: relayed(...) for each row})`."""
    if _state.tracer is None or not traceparent:
        return None
    parent = item_context({"traceparent": traceparent}, item_id)
    if parent is None:
        return None
    span = _state.tracer.start_span(f"relay {name}", context=parent, kind=SpanKind.PRODUCER,
                                    start_time=_nanoseconds(since),
                                    attributes={"messaging.system": "rabbitmq",
                                                "messaging.message.id": item_id})
    span.end()
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")


def _nanoseconds(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1_000_000_000)


# --- consuming -----------------------------------------------------------------------------

class _Delivery(Protocol):  # opd_shared.messaging.Delivery
    @property
    def message(self) -> Any: ...

    @property
    def item(self) -> Any: ...


TraceItems = Callable[[Any], Iterable[tuple[str, str]]]
"""A consumer's items of one delivery's item: (the item's id, the span's name) each."""


def handling(queue: str, deliveries: Sequence[_Delivery],
             trace_items: TraceItems) -> contextlib.AbstractContextManager[Any]:
    """The spans of one batch's handling (see the module's doc); nothing while off."""
    if _state.tracer is None:
        return _NOTHING
    return _handling(_state.tracer, queue, deliveries, trace_items)


@contextlib.contextmanager
def _handling(tracer: trace.Tracer, queue: str, deliveries: Sequence[_Delivery],
              trace_items: TraceItems) -> Iterator[None]:
    traced = [(item_id, name, context)
              for delivery in deliveries
              for item_id, name in trace_items(delivery.item)
              if (context := item_context(delivery.message.headers, item_id)) is not None]
    attributes: dict[str, Any] = {"messaging.system": "rabbitmq",
                                  "messaging.destination.name": queue,
                                  "messaging.batch.message_count": len(deliveries)}
    with contextlib.ExitStack() as stack:
        if len(traced) == 1:
            item_id, name, context = traced[0]
            span = stack.enter_context(tracer.start_as_current_span(
                name, context=context, kind=SpanKind.CONSUMER,
                attributes={**attributes, "messaging.message.id": item_id}))
            stack.enter_context(_registered(item_id, span))
        else:
            batch = stack.enter_context(tracer.start_as_current_span(
                f"{queue} process", context=Context(), kind=SpanKind.CONSUMER,
                attributes=attributes,
                links=[Link(trace.get_current_span(c).get_span_context())
                       for _, _, c in traced]))
            for item_id, name, context in traced:
                span = tracer.start_span(name, context=context, kind=SpanKind.CONSUMER,
                                         attributes={**attributes,
                                                     "messaging.message.id": item_id},
                                         links=[Link(batch.get_span_context())])
                stack.enter_context(_ending(span))
                stack.enter_context(_registered(item_id, span))
        yield


@contextlib.contextmanager
def _registered(item_id: str, span: Span) -> Iterator[None]:
    _state.open_items[item_id] = span
    try:
        yield
    finally:
        if _state.open_items.get(item_id) is span:
            del _state.open_items[item_id]


@contextlib.contextmanager
def _ending(span: Span) -> Iterator[None]:
    try:
        yield
    except BaseException as error:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        raise
    finally:
        span.end()
