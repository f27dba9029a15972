"""The schedule a run books into, made through the gateway like any client would."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import httpx

__all__ = ["doctors_with_slots"]


async def doctors_with_slots(gateway: str, key: str, doctors: int, slots_each: int,
                             capacity: int) -> list[dict]:
    """`doctors` new doctors, each with `slots_each` one-hour slots tomorrow."""
    tomorrow = (dt.datetime.now(ZoneInfo("Asia/Kolkata")).date()
                + dt.timedelta(days=1)).isoformat()
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=gateway, timeout=60,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        gate = asyncio.Semaphore(32)

        async def one(n: int) -> list[dict]:
            async with gate:
                doctor = await client.post("/api/v1/doctors", json={
                    "name": f"Dr. Bench {run}-{n}", "specialization": f"Bench {n % 10}"})
                return [(await client.post("/api/v1/slots", json={
                    "doctor_id": doctor.json()["id"], "date": tomorrow,
                    "start_time": f"{8 + hour:02d}:00", "end_time": f"{9 + hour:02d}:00",
                    "max_capacity": capacity})).json() for hour in range(slots_each)]

        per_doctor = await asyncio.gather(*(one(n) for n in range(doctors)))
    return [slot for slots in per_doctor for slot in slots]
