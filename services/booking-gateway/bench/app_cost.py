"""What the gateway's app itself spends on one `POST /api/v1/tokens`, with nothing else in
the process's CPU: no client, no transport, no server.

`uv run python services/booking-gateway/bench/app_cost.py [--mode admit|refuse]
[--requests 20000] [--block 1000]`

Why another bench: path_profile.py drives the app through httpx, whose client and ASGI
transport cost nearly as much as the app (about 400 of 850 us a booking, 2026-12-06), so a
change of a few tens of microseconds in the app drowns in the client's noise on a shared
machine;
door_cost.py adds uvicorn and a client process beside it. Here the app is called as an ASGI
server calls it (the request's scope, its body in one message, the answer's two messages
dropped), so the figure is the app's layers, routing, key check, validation, identity and
answer: the part the gateway's own code decides. The app's lifespan runs as in
path_profile.py (its key guard on OPD_POSTGRES_URL, with an admin key made for the run and
its rate unbounded, and its bus on OPD_AMQP_URL, in a namespace of its own, removed
afterwards); the bus's `send` answers at once as there (`admit`), or admission refuses
every write (`refuse`, the door's 503). The figure is the
median of the per-request CPU of blocks of `--block` requests (time.process_time), after
a warm-up block; the spread of the blocks is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from booking_gateway.main import create_app
from booking_gateway.settings import GatewaySettings
from opd_ops.namespaces import remove_namespaces
from opd_shared.access import Role
from opd_shared.testing import serving

BOOKING = json.dumps({"patient_name": "Patient", "patient_phone": "+91 98450 00000",
                      "doctor_id": 1, "slot_id": 4096, "source": "online"}).encode()


def _scope(key: str, number: int) -> dict[str, Any]:
    headers = [(b"host", b"gateway"), (b"authorization", f"Bearer {key}".encode()),
               (b"content-type", b"application/json"),
               (b"content-length", str(len(BOOKING)).encode()),
               (b"idempotency-key", f"bench-{number}".encode())]
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/api/v1/tokens",
            "raw_path": b"/api/v1/tokens", "root_path": "", "query_string": b"",
            "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
            "state": {}}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": BOOKING, "more_body": False}


async def _book(app: Any, key: str, number: int, expected: int) -> None:
    statuses = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(_scope(key, number), _receive, send)
    if statuses != [expected]:
        raise SystemExit(f"answered {statuses}, not {expected}")


@asynccontextmanager
async def answering_gateway() -> AsyncIterator[tuple[FastAPI, Any, str]]:
    """The gateway's app with its lifespan running (key guard and bus in a namespace of its
    own, removed afterwards) and its bus's `send` answering at once: the app, the app as a
    server enters it, and an admin key of the bench's own (the bootstrap key's rate is below
    the bench's). layer_cost.py uses it too."""
    sys.path.insert(0, os.path.dirname(__file__))
    from path_profile import answered_at_once

    namespace = f"bench_{secrets.token_hex(4)}"
    settings = GatewaySettings(namespace=namespace, admin_key=secrets.token_urlsafe(24),
                               log_level="WARNING")
    app = create_app(settings)
    try:
        async with serving(app) as started:
            runtime = app.state.runtime
            runtime.bus.send = answered_at_once
            _, key = await runtime.guard.store.create("bench", Role.ADMIN,
                                                      rate_per_minute=1_000_000_000)
            yield app, started.app, key
    finally:
        await remove_namespaces(settings.amqp_url, settings.postgres_url, [namespace],
                                settings.partitions, f"{namespace}_%")


async def measure(mode: str, requests: int, block: int) -> None:
    expected = 201 if mode == "admit" else 503
    async with answering_gateway() as (app, entry, key):
        if mode == "refuse":
            admission = app.state.runtime.bus.admission
            admission.in_flight = admission.max_in_flight
        per_request = []
        for start in range(-block, requests, block):  # the first block warms up
            cpu = time.process_time()
            for number in range(start, start + block):
                await _book(entry, key, number, expected)
            if start >= 0:
                per_request.append(1e6 * (time.process_time() - cpu) / block)
    print(f"{mode}: {requests} requests in blocks of {block}: "
          f"{statistics.median(per_request):.1f} us of the app's CPU each (median of blocks; "
          f"blocks {min(per_request):.1f}-{max(per_request):.1f}), "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("admit", "refuse"), default="admit")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--block", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(measure(args.mode, args.requests, args.block))


if __name__ == "__main__":
    main()
