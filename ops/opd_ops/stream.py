"""Streams of bookings with unique Idempotency-Keys, and the ledger of what each got.

Used by the fault tests and the benchmark: every request is accounted for by its key."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field

import httpx


@dataclass
class Ledger:
    """What the clients were told, by Idempotency-Key."""

    answers: dict[str, httpx.Response] = field(default_factory=dict)

    def with_status(self, status: int) -> list[str]:
        return [k for k, r in self.answers.items() if r.status_code == status]


async def open_schedule(client: httpx.AsyncClient, doctors: int, capacity: int) -> list[dict]:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    slots = []
    for n in range(doctors):
        doctor = await _created(client, "/api/v1/doctors", {
            "name": f"Dr. Fault {n}", "specialization": "Fault testing"})
        slots.append(await _created(client, "/api/v1/slots", {
            "doctor_id": doctor["id"], "date": tomorrow, "start_time": "09:00",
            "end_time": "12:00", "max_capacity": capacity}))
    return slots


async def _created(client: httpx.AsyncClient, path: str, body: dict) -> dict:
    """What `path` created; a 503 (the broker not yet usable again, say after the previous
    fault test restarted it) is retried as a client would, for up to 10 s."""
    for _ in range(50):
        answer = await client.post(path, json=body)
        if answer.status_code != 503:
            break
        await asyncio.sleep(0.2)
    assert answer.status_code == 201, f"{path}: {answer.status_code} {answer.text}"
    return answer.json()


async def book(client: httpx.AsyncClient, ledger: Ledger, slot: dict, key: str) -> None:
    """One booking; a transport error (gateway busy restarting) is retried with the same key."""
    body = {"patient_name": f"patient-{key}", "doctor_id": slot["doctor_id"],
            "slot_id": slot["id"], "source": "online"}
    for _ in range(50):
        try:
            ledger.answers[key] = await client.post(
                "/api/v1/tokens", json=body, headers={"Idempotency-Key": key})
            if ledger.answers[key].status_code != 503:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)


async def stream(client: httpx.AsyncClient, ledger: Ledger, slots: list[dict], count: int,
                 concurrency: int = 16) -> list[tuple[str, dict]]:
    gate = asyncio.Semaphore(concurrency)
    sent = [(uuid.uuid4().hex, slots[n % len(slots)]) for n in range(count)]

    async def one(key: str, slot: dict) -> None:
        async with gate:
            await book(client, ledger, slot, key)

    await asyncio.gather(*(one(key, slot) for key, slot in sent))
    return sent


async def settle_pending(client: httpx.AsyncClient, ledger: Ledger,
                         sent: list[tuple[str, dict]], seconds: float = 60) -> None:
    """Ask again, with the same key, for every request not yet decided (202, 503, or no
    answer at all), until each has its decision."""
    slots = dict(sent)
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        open_keys = [k for k in slots if k not in ledger.answers
                     or ledger.answers[k].status_code in (202, 503)]
        if not open_keys:
            return
        await asyncio.gather(*(book(client, ledger, slots[k], k) for k in open_keys))
        await asyncio.sleep(0.5)
