"""What the gateway's process spends on one `POST /api/v1/tokens` through a real uvicorn
server: refused at the door (503, the common answer at 2,000 bookings/s offered, where
most of the gateway's CPU goes to refusing), or admitted and decided at once.

`uv run python services/booking-gateway/bench/door_cost.py [--mode refuse|admit]
[--requests 20000] [--connections 16]`

Why a real server: the path profile (path_profile.py) drives the app through httpx's ASGI
transport, which leaves out what uvicorn itself spends (the socket, httptools' parsing,
the ASGI messages), and that is most of what a refusal costs. The server runs in a process
of its own, started as production starts it (uvloop, httptools, no access log), with its
lifespan (the key guard on OPD_POSTGRES_URL and the bus on OPD_AMQP_URL, in a namespace of
its own, removed afterwards); once started, its admission is made to refuse everything
(`refuse`), or its command bus answers at once as path_profile.py's does (`admit`). The
figure is the server process's CPU (user and system) per request over the timed requests,
after a warm-up; the client (the load generator's lean keep-alive client,
`opd_ops.bench.lean_http`) is measured apart.
Admitted requests count against the bench's admin key, 6,000 a minute: `admit` takes at
most 4,000 (and a warm-up of 2,000).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

BOOKING = {"patient_name": "Patient", "patient_phone": "+91 98450 00000", "doctor_id": 1,
           "slot_id": 4096, "source": "online"}


def serve(namespace: str, key: str, port: int, mode: str) -> None:
    """The child: the gateway under uvicorn, rigged once its lifespan has started."""
    import uvicorn

    from booking_gateway.main import create_app
    from booking_gateway.settings import GatewaySettings

    sys.path.insert(0, os.path.dirname(__file__))
    from path_profile import answered_at_once

    app = create_app(GatewaySettings(namespace=namespace, admin_key=key, log_level="WARNING"))
    started = app.router.lifespan_context

    @asynccontextmanager
    async def rigged(app_: Any) -> AsyncIterator[Any]:
        async with started(app_) as state:
            runtime = app_.state.runtime
            if mode == "refuse":  # as many waiting as the limit allows: every write refused
                runtime.bus.admission.in_flight = runtime.bus.admission.max_in_flight
            else:
                runtime.bus.send = answered_at_once
            yield state

    app.router.lifespan_context = rigged
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                access_log=False, log_level="warning")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """A process's user and system CPU so far, in seconds (/proc, Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _ready(base: str, child: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError("the server exited before it was ready")
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("the server did not become ready")


async def drive(base: str, key: str, requests: int, connections: int,
                expected: int) -> tuple[int, float]:
    """Fires `requests` bookings over `connections` keep-alive connections; the count of
    answers with the expected status, and the client's own CPU."""
    from opd_ops.bench.lean_http import LeanClient

    client = LeanClient(base, {"Authorization": f"Bearer {key}"}, connections)
    matched = 0
    cpu = time.process_time()
    queue = iter(range(requests))

    async def worker() -> None:
        nonlocal matched
        for _ in queue:
            answer = await client.post("/api/v1/tokens", BOOKING,
                                       {"Idempotency-Key": uuid.uuid4().hex})
            matched += answer.status == expected

    await asyncio.gather(*(worker() for _ in range(connections)))
    return matched, time.process_time() - cpu


async def measure(child: subprocess.Popen[bytes], port: int, key: str, mode: str,
                  requests: int, connections: int) -> None:
    base = f"http://127.0.0.1:{port}"
    expected = 503 if mode == "refuse" else 201
    await _ready(base, child)
    await drive(base, key, min(2000, requests), connections, expected)  # warm up
    server_before, wall = _cpu_s(child.pid), time.perf_counter()
    matched, client_cpu = await drive(base, key, requests, connections, expected)
    server_cpu = _cpu_s(child.pid) - server_before
    wall = time.perf_counter() - wall
    if matched != requests:
        raise SystemExit(f"only {matched} of {requests} answers were {expected}")
    print(f"{mode}: {requests} requests, {connections} connections: "
          f"{1e6 * server_cpu / requests:.0f} us of server CPU each, "
          f"{1e6 * client_cpu / requests:.0f} us of client CPU, {requests / wall:.0f}/s, "
          f"load average {os.getloadavg()[0]:.1f}")


def run(mode: str, requests: int, connections: int) -> None:
    """Starts the server, measures, stops it and removes its namespace."""
    from booking_gateway.settings import GatewaySettings
    from opd_ops.namespaces import remove_namespaces

    namespace, key, port = f"bench_{secrets.token_hex(4)}", secrets.token_urlsafe(24), _free_port()
    settings = GatewaySettings(namespace=namespace, admin_key=key)
    child = subprocess.Popen([sys.executable, __file__, "--serve", namespace, str(port),
                              "--mode", mode], env={**os.environ, "OPD_ADMIN_KEY": key})
    try:
        asyncio.run(measure(child, port, key, mode, requests, connections))
    finally:
        child.terminate()
        child.wait(30)
        asyncio.run(remove_namespaces(settings.amqp_url, settings.postgres_url, [namespace],
                                      settings.partitions, f"{namespace}_%"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("refuse", "admit"), default="refuse")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--serve", nargs=2, metavar=("NAMESPACE", "PORT"),
                        help=argparse.SUPPRESS)  # the child; its key in OPD_ADMIN_KEY
    args = parser.parse_args()
    if args.mode == "admit" and args.requests > 4000 and not args.serve:
        parser.error("admit: at most 4,000 requests a run (the admin key's rate)")
    if args.serve:
        namespace, port = args.serve
        serve(namespace, os.environ["OPD_ADMIN_KEY"], int(port), args.mode)
    else:
        run(args.mode, args.requests, args.connections)


if __name__ == "__main__":
    main()
