"""Two allocators and two gateways on one broker: each allocator decides its own share of the
partitions, either gateway serves any request, and the replies find their way back."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from opd_ops.processes import Service, System
from opd_ops.stream import open_schedule


async def test_work_splits_across_two_allocators_and_two_gateways(infra):
    namespace = infra.namespace("scale")
    env = {**infra.env(namespace), "OPD_ALLOCATOR_COUNT": "2", "OPD_STANDBY_DELAY_SECONDS": "30"}
    system = System(namespace, infra.postgres_url, {**env, "OPD_ALLOCATOR_INDEX": "0"})
    system.services["allocator_b"] = Service("allocator", {**env, "OPD_ALLOCATOR_INDEX": "1"})
    system.services["gateway_b"] = Service("gateway", env)
    try:
        await asyncio.to_thread(system.start)
        gateways = [system["gateway"].url, system["gateway_b"].url]
        async with httpx.AsyncClient(base_url=gateways[0], headers=infra.admin_headers,
                                     timeout=30) as first:
            slots = await open_schedule(first, doctors=8, capacity=5)
        answers = []
        for n, slot in enumerate(slots):
            async with httpx.AsyncClient(base_url=gateways[n % 2], headers=infra.admin_headers,
                                         timeout=30) as client:
                answers.append(await client.post("/api/v1/tokens", json={
                    "patient_name": f"scale {n}", "doctor_id": slot["doctor_id"],
                    "slot_id": slot["id"], "source": "online"}))
        conn = await asyncpg.connect(system.allocator_dsn)
        owners = {r["partition"]: r["owner"] for r in await conn.fetch(
            "SELECT partition, owner FROM partition_owners WHERE epoch > 0")}
        await conn.close()
    finally:
        await asyncio.to_thread(system.stop)

    pid = {name: str(system[name].process.pid) for name in ("allocator", "allocator_b")}
    print("partition owners:", owners)
    assert [a.status_code for a in answers] == [201] * len(slots)
    assert {p % 2 for p in owners} == {0, 1}, "traffic should reach both halves"
    assert all(owner.endswith(pid["allocator"]) for p, owner in owners.items() if p % 2 == 0)
    assert all(owner.endswith(pid["allocator_b"]) for p, owner in owners.items() if p % 2 == 1)
