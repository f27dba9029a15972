"""Guarantees 2 and 3 under a crash: the allocator is SIGKILLed mid-stream and restarted."""

from __future__ import annotations

import asyncio
import signal

import httpx

from opd_ops.checks import over_capacity, tokens_by_patient
from opd_ops.reconcile import wait_until_reconciled
from opd_ops.stream import Ledger, open_schedule, settle_pending, stream

BOOKINGS, DOCTORS, CAPACITY = 300, 3, 80


async def test_killing_the_allocator_mid_stream_loses_and_doubles_nothing(system, infra):
    gateway, allocator = system["gateway"], system["allocator"]
    async with httpx.AsyncClient(base_url=gateway.url, headers=infra.admin_headers,
                                 timeout=30) as client:
        slots = await open_schedule(client, DOCTORS, CAPACITY)
        ledger = Ledger()

        async def crash_and_restart() -> None:
            while len(ledger.answers) < BOOKINGS // 3:  # noqa: ASYNC110 - polling a counter
                await asyncio.sleep(0.02)
            allocator.stop(signal.SIGKILL)
            await asyncio.sleep(0.5)
            allocator.start()

        crash = asyncio.create_task(crash_and_restart())
        sent = await stream(client, ledger, slots, BOOKINGS)
        await crash
        await settle_pending(client, ledger, sent)

    found = await tokens_by_patient(system.allocator_dsn)
    booked = ledger.with_status(201)
    assert ledger.with_status(202) == [] and len(ledger.answers) == BOOKINGS
    assert len(booked) == DOCTORS * CAPACITY
    assert sorted(ledger.with_status(409)) == sorted(k for k, _ in sent if k not in found)
    assert all(len(found[k]) == 1 for k in found), "a booking was decided twice"
    assert {k: found[k][0]["id"] for k in booked} == {
        k: ledger.answers[k].json()["id"] for k in booked}
    assert await over_capacity(system.allocator_dsn) == []
    report = await wait_until_reconciled(infra.postgres_url, system.namespace, 60)
    assert report.agrees, report.differences
