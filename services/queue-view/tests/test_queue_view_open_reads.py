"""A deployment that opens reads (kiosks without keys): anyone reads the queues, nobody
without a key sees a name or a phone, and /api/v1/admin still needs the admin key."""

from __future__ import annotations

from typing import Any

import pytest

from opd_contracts import EventType


@pytest.fixture(scope="module")
def service_overrides() -> dict[str, Any]:
    return {"open_reads": True}


async def test_anonymous_reads_answer_200_without_names_or_phones(service, events) -> None:
    slot = events.slot()
    token = events.token(slot, patient_name="Meera Iyer", patient_phone="+91 98765 00000")
    await service.publish(events.event(EventType.DOCTOR_REGISTERED, doctor=events.doctor()))
    await service.publish(events.event(EventType.TOKEN_ALLOCATED, slots=[slot], tokens=[token]))
    await service.wait_applied(events.doctor_id, 2)
    paths = [f"/api/v1/tokens/{token.id}", f"/api/v1/tokens/number/{token.token_number}",
             f"/api/v1/tokens/number/{token.token_number}/position",
             f"/api/v1/slots/{slot.id}/queue", f"/api/v1/doctors/{events.doctor_id}/day/"
             f"{slot.date.isoformat()}",
             f"/api/v1/display/stream?doctors={events.doctor_id}&date={slot.date.isoformat()}"]

    async with service.client({}) as anonymous:
        answers = [await anonymous.get(path) for path in paths]

    assert [a.status_code for a in answers] == [200] * len(paths)
    assert [a for a in answers if "Meera" in a.text or "98765" in a.text] == []
    body = answers[0].json()
    assert (body["token_number"], body["patient_name"], body["patient_phone"]) == (
        token.token_number, None, None)
    assert token.token_number in answers[-1].text  # the display's board


async def test_admin_endpoints_still_need_the_admin_key(service) -> None:
    async with service.client({}) as anonymous:
        refused = await anonymous.get("/api/v1/admin/progress")
    async with service.client({"Authorization": "Bearer not-a-key"}) as unknown:
        wrong_key = await unknown.get("/api/v1/doctors")

    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")
    assert wrong_key.status_code == 401  # a key that is given must be a real one
