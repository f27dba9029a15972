"""Rebuild equals live: history made through the real gateway and allocator, then queue-view's
read model rebuilt from the allocator's replay must equal, table by table, the one built live."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.orm import outbox
from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.database import new_engine
from opd_shared.testing import asgi_client, posted, serving
from queue_view.main import create_app as create_queue_view
from queue_view.models import AppliedEvent, DoctorProgress, metadata
from queue_view.progress import totals
from queue_view.rebuild import rebuild
from queue_view.settings import QueueViewSettings

TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()  # clear of any time zone


@dataclass
class System:
    gateway: httpx.AsyncClient
    allocator: httpx.AsyncClient
    view: httpx.AsyncClient
    runtime: object  # queue-view's
    allocator_sessions: object

    async def post(self, path: str, **body: object) -> dict:
        return await posted(self.gateway, path, **body)


@pytest.fixture(scope="module")
async def system(infra) -> AsyncIterator[System]:
    """queue-view first, so its queue exists before the first event is published."""
    namespace = infra.namespace("qvrb")
    view = create_queue_view(infra.settings(QueueViewSettings, namespace))
    allocator_settings = infra.settings(AllocatorSettings, namespace)
    allocator = create_allocator(allocator_settings)
    gateway = create_gateway(infra.settings(GatewaySettings, namespace))
    async with serving(view), serving(allocator), serving(gateway):
        headers = infra.admin_headers
        written = new_engine(allocator_settings.database_url)  # its outbox, read from outside
        async with asgi_client(gateway, "gateway", headers) as front, asgi_client(
            allocator, "allocator", headers
        ) as back, asgi_client(view, "queue-view", headers) as reads:
            yield System(front, back, reads, view.state.runtime, async_sessionmaker(written))
        await written.dispose()


async def _morning(system: System) -> None:
    """Bookings of every source, an emergency bumping a walk-in, calls, a cancellation,
    a reallocation and a no-show, across two doctors."""
    ent = await system.post("/api/v1/doctors", name="Dr. Rao", specialization="ENT", room="3")
    heart = await system.post("/api/v1/doctors", name="Dr. Sen", specialization="Cardiology")
    slots = [await system.post("/api/v1/slots", doctor_id=doctor["id"], date=TOMORROW,
                               start_time=start, end_time=end, max_capacity=capacity)
             for doctor, start, end, capacity in ((ent, "09:00", "10:00", 3),
                                                  (ent, "10:00", "11:00", 5),
                                                  (heart, "09:00", "10:00", 4))]
    booked = [await system.post("/api/v1/tokens", patient_name=f"Patient {n}",
                                doctor_id=slot["doctor_id"], slot_id=slot["id"], source=source)
              for n, (slot, source) in enumerate(
                  [(slots[0], "walk_in"), (slots[0], "online"), (slots[0], "follow_up"),
                   (slots[2], "priority"), (slots[2], "walk_in"), (slots[2], "online")])]
    emergency = await system.gateway.post("/api/v1/tokens?emergency=true", json={
        "patient_name": "Emergency", "doctor_id": ent["id"], "slot_id": slots[0]["id"],
        "source": "priority"})
    assert emergency.status_code == 201, emergency.text
    await system.post(f"/api/v1/tokens/{booked[4]['id']}/check-in")
    await system.post(f"/api/v1/doctors/{heart['id']}/call-next?slot_id={slots[2]['id']}")
    await system.post(f"/api/v1/doctors/{heart['id']}/call-next?slot_id={slots[2]['id']}")
    await system.post(f"/api/v1/tokens/{booked[1]['id']}/reallocate", new_slot_id=slots[1]["id"])
    await system.post(f"/api/v1/tokens/{booked[2]['id']}/cancel")
    await system.post(f"/api/v1/tokens/{booked[4]['id']}/no-show")  # checked in, not called


async def _settled(system: System) -> int:
    """Wait until queue-view applied every event the allocator wrote; how many that is."""
    async with system.allocator_sessions() as session:
        written = await session.scalar(select(func.count()).select_from(outbox))
    for _ in range(400):
        async with system.runtime.sessions() as session:
            seen = await totals(session)
        if seen.applied == written and seen.doctors_with_gaps == 0:
            break
        await asyncio.sleep(0.05)
    return written


async def _snapshot(system: System) -> dict[str, list[dict]]:
    """Every row of every table; `applied_at` (when, not what) is left out."""
    tables = {}
    async with system.runtime.sessions() as session:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "applied_at"]
            query = select(*columns).order_by(*table.primary_key.columns)
            tables[table.name] = [dict(row) for row in (await session.execute(query)).mappings()]
    return tables


@pytest.fixture(scope="module")
async def live(system: System) -> dict[str, list[dict]]:
    await _morning(system)
    await _settled(system)
    return await _snapshot(system)


async def test_a_full_rebuild_from_the_allocators_replay_equals_the_live_read_model(
    system, live
) -> None:
    lines: list[str] = []

    done = await rebuild(system.runtime.sessions, system.allocator, lines.append, interval=0.1)
    rebuilt = await _snapshot(system)

    assert len(live["tokens"]) == 7 and len(live["applied_events"]) == done.applied
    assert rebuilt == live
    assert lines[0] == "read model emptied"
    assert lines[1] == f"allocator replayed {done.applied} events"
    assert lines[-1].startswith(f"applied {done.applied} of {done.applied} replayed events (100%)")


async def test_filling_gaps_applies_only_the_lost_event_and_ends_equal_to_live(
    system, live
) -> None:
    before = await _snapshot(system)
    lost = await _lose_an_event(system)
    gaps = (await system.view.get("/api/v1/admin/progress")).json()["gaps"]

    await rebuild(system.runtime.sessions, system.allocator, lambda line: None,
                  fill_gaps=True, interval=0.1)

    assert [(g["doctor_id"], g["missing_seqs"]) for g in gaps] == [lost]
    assert await _snapshot(system) == before


async def _lose_an_event(system: System) -> tuple[int, list[int]]:
    """As if seq 3 of the first doctor never arrived: its rows and its bookkeeping go."""
    async with system.runtime.sessions.begin() as session:
        doctor_id = await session.scalar(select(func.min(DoctorProgress.doctor_id)))
        for table in (metadata.tables["slots"], metadata.tables["tokens"]):
            await session.execute(delete(table).where(table.c.doctor_id == doctor_id,
                                                      table.c.version == 3))
        await session.execute(delete(AppliedEvent).where(AppliedEvent.doctor_id == doctor_id,
                                                          AppliedEvent.seq == 3))
        await session.execute(update(DoctorProgress).where(
            DoctorProgress.doctor_id == doctor_id).values(
            applied_count=DoctorProgress.applied_count - 1))
    return doctor_id, [3]
