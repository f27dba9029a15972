"""What the gateway itself spends on one `POST /api/v1/tokens`, without the broker and the
allocator: their answer is a ready reply, so what is measured is HTTP, the key check,
validation, the command's identity and envelope, and the answer's encoding.

`uv run python services/booking-gateway/bench/path_profile.py [--requests 3000] [--profile]
[--role online]`

Runs the gateway app in this process (its lifespan, its key guard on OPD_POSTGRES_URL in a
namespace of its own, dropped afterwards) and drives it through httpx's ASGI transport, so
the figure includes the transport's own cost, the same before and after a change. The
command bus's `send` is replaced by one that returns at once, after encoding the command
as the bus would (a batch of one). `--profile` prints the functions that cost most
(cProfile). `--role` books with a key of that role (made for the run, its rate unbounded,
its daily quota the role's) instead of the bootstrap admin key, which has no quota: an
online app's booking is also counted against its quota.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import secrets
import time
import uuid

import httpx

from booking_gateway.main import create_app
from booking_gateway.settings import GatewaySettings
from opd_contracts import CommandBatch, CommandEnvelope, Reply
from opd_ops.namespaces import remove_namespaces
from opd_shared.access import Role
from opd_shared.testing import serving

RESULT = {"id": 4097, "token_number": "D1-20260130-0001", "doctor_id": 1, "slot_id": 4096,
          "patient_name": "John Doe", "patient_phone": None, "source": "online",
          "status": "allocated", "priority_score": 40, "is_emergency": False,
          "is_overflow": False, "allocated_at": "2026-01-30T08:00:00+05:30", "moved": []}


async def answered_at_once(envelope: CommandEnvelope, wait_s: float) -> Reply:
    CommandBatch(commands=[envelope]).model_dump_json()  # what the bus would publish
    return Reply(command_id=envelope.command_id, ok=True, result=RESULT)


async def measure(requests: int, profile: bool, args_sort: str = "tottime",
                  role: str = "admin") -> None:
    namespace = f"bench_{secrets.token_hex(4)}"
    key = secrets.token_urlsafe(24)
    settings = GatewaySettings(namespace=namespace, admin_key=key, log_level="WARNING")
    app = create_app(settings)
    try:
        async with serving(app) as started, httpx.AsyncClient(
                transport=httpx.ASGITransport(app=started.app), base_url="http://gateway",
                headers={"Authorization": f"Bearer {key}"}) as client:
            app.state.runtime.bus.send = answered_at_once
            if role != "admin":
                _, made = await app.state.guard.store.create(
                    "bench", Role(role), rate_per_minute=1_000_000_000)
                client.headers["Authorization"] = f"Bearer {made}"

            async def book(n: int) -> None:
                response = await client.post("/api/v1/tokens", json={
                    "patient_name": f"Patient {n}", "patient_phone": "+91 98450 00000",
                    "doctor_id": 1, "slot_id": 4096, "source": "online"},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
                assert response.status_code == 201, response.text

            for n in range(200):  # warm up
                await book(n)
            profiler = cProfile.Profile() if profile else None
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for n in range(requests):
                await book(n)
            if profiler:
                profiler.disable()
            cpu = time.process_time() - started_cpu
            wall = time.perf_counter() - started_wall
    finally:
        await remove_namespaces(settings.amqp_url, settings.postgres_url, [namespace],
                                settings.partitions, f"{namespace}_%")
    print(f"{requests} bookings ({role} key): {1e6 * cpu / requests:.0f} us CPU and "
          f"{1e6 * wall / requests:.0f} us wall each (client and transport included)")
    if profiler:
        pstats.Stats(profiler).sort_stats(args_sort).print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumtime")
    parser.add_argument("--role", default="admin", choices=[r.value for r in Role])
    args = parser.parse_args()
    asyncio.run(measure(args.requests, args.profile, args.sort, args.role))


if __name__ == "__main__":
    main()
