"""What the key check costs a booking in CPU: `Guard.identify` (the key's look-up in the
store's cache, the address's failures, the key's rate) and `Guard.count_booking` (its daily
quota), called as the gateway calls them, with nothing else in the process's CPU.

`uv run python shared/bench/access_cost.py [--requests 20000] [--block 1000]`

The key is a cached online key (no database is reached: the store's cache holds it), with
a rate and a quota no run reaches; the event loop turns between requests, as a server's
does. The figure is the median of the per-request CPU of blocks of `--block` requests
(time.process_time), after a warm-up block, with the blocks' spread beside it. To compare
with another version of `opd_shared`, put its directory first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request

import opd_shared
from opd_shared.access import Guard, Permission, Role
from opd_shared.access.keys import hash_key
from opd_shared.access.store import KeyRecord, KeyStore

KEY = "opd_bench-key"


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/api/v1/tokens",
                    "headers": [(b"authorization", f"Bearer {KEY}".encode())],
                    "client": ("127.0.0.1", 50000), "query_string": b""})


def _guard() -> Guard:
    store = KeyStore("postgresql+asyncpg://bench@127.0.0.1:1/none", ttl_s=1e9)  # never reached
    store.known[hash_key(KEY)] = KeyRecord(1, "web", Role.ONLINE, 10**9, "web",
                                           daily_bookings=10**9)
    return Guard(store)


async def _blocks(step: Callable[[], Awaitable[object]], requests: int,
                  block: int) -> list[float]:
    """us of CPU a request, one figure a block; the first block is the warm-up."""
    figures = []
    for number in range(requests // block + 1):
        cpu = time.process_time()
        for _ in range(block):
            await step()
            await asyncio.sleep(0)  # the loop turns between requests
        if number:
            figures.append(1e6 * (time.process_time() - cpu) / block)
    return figures


async def measure(requests: int, block: int) -> None:
    guard, request = _guard(), _request()
    caller = await guard.identify(request, Permission.READ_QUEUE)

    async def booking() -> None:
        who = await guard.identify(request, None)
        await guard.count_booking(who)

    async def nothing() -> None:
        pass

    steps: dict[str, Callable[[], Awaitable[object]]] = {
        "identify": lambda: guard.identify(request, None),
        "count_booking": lambda: guard.count_booking(caller),
        "booking (both)": booking, "loop turn alone": nothing}
    print(f"opd_shared from {os.path.dirname(opd_shared.__file__)}")
    for name, step in steps.items():
        figures = await _blocks(step, requests, block)
        print(f"{name:>16}: {statistics.median(figures):6.2f} us a request "
              f"(blocks {min(figures):.2f}-{max(figures):.2f}), "
              f"load average {os.getloadavg()[0]:.1f}")
    await guard.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--block", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(measure(args.requests, args.block))


if __name__ == "__main__":
    main()
