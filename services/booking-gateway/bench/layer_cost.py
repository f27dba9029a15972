"""What each layer of the gateway's app costs one `POST /api/v1/tokens`: the app entered at
every depth, from the top down to the route's own handler, in the same process.

`uv run python services/booking-gateway/bench/layer_cost.py [--rounds 16] [--block 1000]`

Why: app_cost.py gives the app's CPU a booking as one figure, and a profile spreads it
over hundreds of small functions (no layer stands out: the largest is a few per cent).
The question "what would removing this layer save" is answered here directly: the same
booking is sent into the app's outermost layer, into each layer below it in turn (the
door, FastAPI's and Starlette's, the service's own), into the router, into the route's
ASGI app (FastAPI's `request_response`), and into the route's handler itself; a layer's
cost is the difference between entering above it and below it. The entries take turns in
blocks of `--block` bookings, `--rounds` times (the first round warms up), so the
machine's drift reaches them all alike; the figure is each entry's median per booking.
The app, its lifespan and its bus are app_cost.py's (the bus's `send` answers at once).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request

sys.path.insert(0, os.path.dirname(__file__))
from app_cost import _receive, _scope, answering_gateway

Entry = Callable[[dict, Any, Any], Any]  # an ASGI app


def entries(app: FastAPI, outermost: Entry) -> dict[str, Entry]:
    """Every depth the booking can enter at, outermost first."""
    found: dict[str, Entry] = {"the app": outermost}
    layer = app.middleware_stack
    while layer is not app.router:
        found[type(layer).__name__] = layer
        layer = layer.app  # type: ignore[union-attr]
    found["the router"] = app.router
    route = app.router.routes[0]  # the booking's (booking_gateway.main)
    found["the route"] = route.app  # type: ignore[attr-defined]
    handler = route.get_route_handler()  # type: ignore[attr-defined]

    async def handled(scope: dict, receive: Any, send: Any) -> None:
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    found["the handler"] = handled
    return found


async def _book(app: FastAPI, entry: Entry, key: str, number: int) -> None:
    statuses = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = _scope(key, number)
    scope["app"] = app  # what Starlette's own `__call__` sets, for entries below it
    await entry(scope, _receive, send)
    if statuses != [201]:
        raise SystemExit(f"answered {statuses}, not 201")


async def measure(rounds: int, block: int) -> None:
    async with answering_gateway() as (app, outermost, key):
        await _book(app, outermost, key, -1)  # builds the middleware stack
        depths = entries(app, outermost)
        per_request: dict[str, list[float]] = {name: [] for name in depths}
        numbers = itertools.count()  # each booking its own Idempotency-Key
        for turn in range(rounds):
            for name, entry in depths.items():
                cpu = time.process_time()
                for _ in range(block):
                    await _book(app, entry, key, next(numbers))
                if turn:  # the first round warms up
                    per_request[name].append(1e6 * (time.process_time() - cpu) / block)
    _print(per_request)


def _print(per_request: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(runs) for name, runs in per_request.items()}
    names = list(medians)
    print("entered at                      us a booking   of which this layer")
    for name, below in zip(names, [*names[1:], None], strict=True):
        own = f"{medians[name] - medians[below]:6.1f}" if below else ""
        print(f"{name:32s} {medians[name]:8.1f}       {own}")
    print(f"medians of {len(next(iter(per_request.values())))} blocks each, "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--block", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(measure(args.rounds, args.block))


if __name__ == "__main__":
    main()
