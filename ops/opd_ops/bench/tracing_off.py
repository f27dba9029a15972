"""`uv run --no-sync python -m opd_ops.bench.tracing_off`: what tracing costs a booking
while it is off (the default), and, for scale, its hooks' own cost while on.

One booking passes these hooks of opd_shared.tracing: the gateway's publish
(`headers_here`), the allocator's batch (`handling`) and outbox row (`traceparent_for`),
the relay (`relay_headers`), and each read model's batch (`handling`, twice). The figure
is the CPU time of calling them all, less that of an empty loop, per booking, the best of
five runs. "On" creates and ends the spans with no exporter behind them: the exporter's work
(batched, in a thread of its own) is extra, as are the HTTP and SQL spans.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opd_shared import tracing


@dataclass
class _Message:
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Delivery:
    message: _Message
    item: str


def _items(item: str) -> tuple[tuple[str, str], ...]:
    return ((item, "decide book_token"),)


def _booking() -> Callable[[], None]:
    """One booking's hook calls. The deliveries exist anyway in the product, so they are
    built once here; with tracing on the headers they carry would differ, which the "on"
    figure, taken for scale only, ignores."""
    command, event = str(uuid.uuid4()), str(uuid.uuid4())
    created = dt.datetime.now(dt.UTC)
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    commands = [_Delivery(_Message({"traceparent": parent}), command)]
    events = [_Delivery(_Message({"traceparent": parent}), event)]

    def booking() -> None:
        tracing.headers_here(command)  # the gateway's publish
        with tracing.handling("opd.alloc.p00", commands, _items):  # the allocator's batch
            row = tracing.traceparent_for(command)  # its outbox row
        tracing.relay_headers(row, event, "token.allocated", created)  # the relay
        with tracing.handling("opd.queue_view.events", events, _items):
            pass
        with tracing.handling("opd.analytics.events", events, _items):
            pass

    return booking


def _empty() -> None:
    pass


def _per_call_ns(function: Callable[[], None], calls: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time_ns()  # CPU: what it costs, whatever else runs
        for _ in range(calls):
            function()
        best = min(best, (time.process_time_ns() - started) / calls)
    return best


def measure(calls: int) -> dict[str, float]:
    """Nanoseconds a booking spends in the hooks, off and on (no exporter)."""
    booking, loop = _booking(), _per_call_ns(_empty, calls)
    figures = {"off": _per_call_ns(booking, calls) - loop}
    tracing.start(tracing.provider_for("bench"))
    try:
        from opentelemetry import trace

        with trace.get_tracer("bench", tracer_provider=tracing._state.provider
                              ).start_as_current_span("request"):  # the gateway's request
            on = _booking()
            figures["on"] = _per_call_ns(on, max(calls // 50, 100)) - loop
    finally:
        tracing.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    figures = measure(parser.parse_args().calls)
    print(f"tracing off: {figures['off'] / 1000:.2f} µs a booking (six hooks)")
    print(f"tracing on:  {figures['on'] / 1000:.1f} µs a booking in the hooks "
          "(spans made, none exported)")


if __name__ == "__main__":
    main()
