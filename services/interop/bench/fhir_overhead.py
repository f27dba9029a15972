"""What the FHIR channel adds to a booking and a read: the same work through interop
and straight to the gateway and queue-view, one request at a time, against `make run`.

    uv run python services/interop/bench/fhir_overhead.py --key $KEY --slot 23 --n 200

Prints the median and 95th percentile of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx


async def timed(n: int, call: Callable[[int], Awaitable[httpx.Response]]) -> list[float]:
    spent = []
    for i in range(n):
        start = time.perf_counter()
        answer = await call(i)
        spent.append((time.perf_counter() - start) * 1000)
        answer.raise_for_status()
    return spent


def summary(name: str, ms: list[float]) -> str:
    p95 = statistics.quantiles(ms, n=20)[-1]
    return f"{name:28} median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   (n={len(ms)})"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--slot", type=int, required=True, help="a slot with room for 2n")
    parser.add_argument("--doctor", type=int, default=1)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--queue-view", default="http://127.0.0.1:8001")
    parser.add_argument("--interop", default="http://127.0.0.1:8004")
    args = parser.parse_args()
    auth = {"Authorization": f"Bearer {args.key}"}
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(headers=auth, timeout=30) as http:
        def rest_book(i: int) -> Awaitable[httpx.Response]:
            return http.post(f"{args.gateway}/api/v1/tokens", json={
                "patient_name": f"Bench {i}", "doctor_id": args.doctor, "slot_id": args.slot,
                "source": "walk_in"}, headers={"Idempotency-Key": f"b-{run}-rest-{i}"})

        def fhir_book(i: int) -> Awaitable[httpx.Response]:
            return http.post(f"{args.interop}/fhir/Appointment", json={
                "resourceType": "Appointment", "status": "booked",
                "slot": [{"reference": f"Slot/{args.slot}"}],
                "appointmentType": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0276",
                    "code": "WALKIN"}]},
                "participant": [
                    {"actor": {"reference": f"Practitioner/{args.doctor}"},
                     "status": "accepted"},
                    {"actor": {"type": "Patient", "display": f"Bench {i}"},
                     "status": "accepted"}]},
                headers={"Idempotency-Key": f"b-{run}-fhir-{i}"})

        rest = await timed(args.n, rest_book)
        fhir = await timed(args.n, fhir_book)
        token = (await rest_book(0)).json()["id"]
        reads = await timed(args.n, lambda _: http.get(f"{args.queue_view}/api/v1/tokens/{token}"))
        fhir_reads = await timed(args.n, lambda _: http.get(
            f"{args.interop}/fhir/Appointment/{token}"))
    for name, ms in (("book, REST (gateway)", rest), ("book, FHIR (interop)", fhir),
                     ("read token, REST", reads), ("read Appointment, FHIR", fhir_reads)):
        print(summary(name, ms))


if __name__ == "__main__":
    asyncio.run(main())
