"""Interop in this process, in front of the hospital's gateway and queue-view (the same
in-process apps as the other cross-service tests), with a stand-in ABDM gateway."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from interop.abdm.standin import AbdmStandIn
from interop.main import create_app as create_interop
from interop.settings import InteropSettings
from interop.upstream import Upstreams
from opd_shared.access import Role
from opd_shared.testing import serving

from ..conftest import Hospital

HIP_ID = "IN-TEST-HIP"
_numbers = itertools.count(1)


def today() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Kolkata")).date().isoformat()


def abha(n: int | None = None) -> str:
    """An ABHA number no other test uses."""
    n = next(_numbers) if n is None else n
    return f"91-7000-{n // 10000:04d}-{n % 10000:04d}"


def fhir_valid(resource: dict[str, Any]) -> Any:
    """The resource as the FHIR library reads it (raises when it is not valid)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@dataclass
class Interop:
    hospital: Hospital
    fhir: httpx.AsyncClient  # interop's own HTTP API
    abdm: AbdmStandIn
    counters: dict[str, dict[str, Any]]  # counter code -> the doctor and slots behind it

    async def share(self, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        return await self.fhir.post("/v1.0/patients/profile/share", json=body, headers={
            "Authorization": f"Bearer {token or self.abdm.token()}", "X-HIP-ID": HIP_ID,
            "X-CM-ID": "sbx"})


async def _counter(hospital: Hospital, specialization: str, *capacities: int) -> dict[str, Any]:
    """A doctor with slots today that are not over (the last one until 23:59)."""
    doctor = (await hospital.gateway.post("/api/v1/doctors", headers=hospital.admin, json={
        "name": f"Dr. {specialization}", "specialization": specialization, "room": "3"})).json()
    slots = []
    hours = [("00:01", "23:58"), ("23:58", "23:59")]
    for capacity, (start, end) in zip(capacities, hours[-len(capacities):], strict=True):
        slots.append((await hospital.gateway.post("/api/v1/slots", headers=hospital.admin, json={
            "doctor_id": doctor["id"], "date": today(), "start_time": start, "end_time": end,
            "max_capacity": capacity})).json())
    return {"doctor": doctor, "slots": slots}


@pytest.fixture(scope="module")
async def interop(hospital: Hospital, infra) -> AsyncIterator[Interop]:
    counters = {"GEN-1": await _counter(hospital, f"General {next(_numbers)}", 2, 5),
                "FULL-1": await _counter(hospital, f"Tiny {next(_numbers)}", 1)}
    ortho = f"Ortho {next(_numbers)}"
    counters["ORTHO"] = await _counter(hospital, ortho, 3)
    counters["ORTHO-2"] = await _counter(hospital, ortho, 3, 3)
    busy = f"Busy {next(_numbers)}"  # a doctor with one place, a colleague with more
    counters["BUSY"] = await _counter(hospital, busy, 1)
    counters["BUSY-COLLEAGUE"] = await _counter(hospital, busy, 4)
    _, key = await hospital.keys.create("ABDM Scan & Share", Role.DESK, None, "abdm-scan-share")
    standin = AbdmStandIn()
    targets = {"GEN-1": {"doctor_id": counters["GEN-1"]["doctor"]["id"]},
               "FULL-1": {"doctor_id": counters["FULL-1"]["doctor"]["id"]},
               "ORTHO": {"specialization": ortho},
               "BUSY": {"doctor_id": counters["BUSY"]["doctor"]["id"]}}
    settings = infra.settings(
        InteropSettings, hospital.settings.namespace, abdm_jwks=standin.jwks,
        abdm_jwt_issuer="stand-in-gateway", abdm_hip_id=HIP_ID, abdm_api_key=key,
        abdm_client_id="hip-client", abdm_client_secret="hip-secret", abdm_counters=targets)

    def client(of: httpx.AsyncClient) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=of._transport.app),
                                 base_url="http://opd")

    upstreams = Upstreams(client(hospital.gateway), client(hospital.queue_view))
    abdm_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=standin.app()),
                                    base_url="http://abdm")
    app = create_interop(settings, upstreams, abdm_client)
    async with serving(app) as started, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=started.app), base_url="http://interop") as api:
        yield Interop(hospital, api, standin, counters)
