"""Guarantees 2 and 3 under a crash: the allocator is SIGKILLed mid-stream and restarted."""

from __future__ import annotations

import asyncio
import signal

from .conftest import after, assert_nothing_lost_or_doubled


async def test_killing_the_allocator_mid_stream_loses_and_doubles_nothing(system, storm):
    allocator = system["allocator"]

    async def crash(ledger) -> None:
        await after(ledger, 100)
        allocator.stop(signal.SIGKILL)
        await asyncio.sleep(0.5)
        allocator.start()

    outcome = await storm(crash)

    assert_nothing_lost_or_doubled(outcome)
