"""Two allocators: kill the active one, and the standby takes its partitions over."""

from __future__ import annotations

import asyncio
import signal
import time

import asyncpg
import httpx

from opd_ops.stream import open_schedule


async def _owners(dsn: str) -> dict[int, str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT partition, owner FROM partition_owners WHERE epoch > 0")
    finally:
        await conn.close()
    return {row["partition"]: row["owner"] for row in rows}


async def test_the_standby_allocator_takes_over_when_the_active_one_is_killed(system, infra):
    active, standby = system["allocator"], system.spawn("allocator")
    async with httpx.AsyncClient(base_url=system["gateway"].url, headers=infra.admin_headers,
                                 timeout=30) as client:
        slots = await open_schedule(client, doctors=4, capacity=50)
        before = await _owners(system.allocator_dsn)

        active.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        booked = []
        for slot in slots:  # every doctor's partition must be served again
            while True:
                answer = await client.post("/api/v1/tokens", json={
                    "patient_name": "after failover", "doctor_id": slot["doctor_id"],
                    "slot_id": slot["id"], "source": "online"},
                    headers={"Idempotency-Key": f"failover-{slot['id']}"})
                if answer.status_code == 201:
                    booked.append(answer.json())
                    break
                assert answer.status_code == 202, answer.text
                await asyncio.sleep(0.5)
        takeover_s = time.monotonic() - killed_at

    after = await _owners(system.allocator_dsn)
    print(f"takeover of {len(slots)} doctors' partitions: {takeover_s:.1f} s")
    assert len(booked) == len(slots)
    assert takeover_s < 30
    assert str(active.process.pid) in " ".join(before.values())
    assert all(str(standby.process.pid) in after[p] for p in after if p in before)
    active.start()  # leave the system as the fixture expects: one allocator per name
    active.wait_ready()
