"""Every role against every call: the answers must be exactly SECURITY.md's table."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from opd_shared.access import Role

from .conftest import Hospital, eventually, new_phone

SECURITY_MD = Path(__file__).parents[2] / "SECURITY.md"
NAME = "Meera Iyer"


def _promised() -> dict[str, dict[str, str]]:
    """SECURITY.md's access table: role -> call -> cell."""
    table = SECURITY_MD.read_text().split("<!-- access-matrix -->")[1]
    lines = table.split("<!-- /access-matrix -->")[0].strip().splitlines()
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    calls = rows[0][1:]
    return {row[0]: dict(zip(calls, row[1:], strict=True)) for row in rows[2:]}


PROMISED = _promised()


def _cell(call: str, answer: httpx.Response) -> str:
    if call.startswith("read") and answer.status_code == 200:
        return f"200 {'named' if NAME in answer.text else 'anonymous'}"
    return str(answer.status_code)


async def _book(hospital: Hospital, slot: dict, headers: dict) -> httpx.Response:
    return await hospital.gateway.post("/api/v1/tokens", headers=headers, json={
        "patient_name": NAME, "patient_phone": new_phone(), "doctor_id": slot["doctor_id"],
        "slot_id": slot["id"], "source": "online"})


async def _settled(hospital: Hospital, token: dict) -> dict:
    """The token as queue-view shows it once every event about it has been applied."""
    async def read() -> httpx.Response:
        return await hospital.queue_view.get(f"/api/v1/tokens/{token['id']}",
                                             headers=hospital.admin)
    seen = await eventually(read, lambda r: r.status_code == 200
                            and r.json()["slot_id"] == token["slot_id"])
    return seen.json()


async def _moves(hospital: Hospital, key: dict, own: list[dict], foreign: list[dict],
                 later: dict) -> dict[str, httpx.Response]:
    answers: dict[str, httpx.Response] = {}
    for whose, tokens in (("own", own), ("foreign", foreign)):
        if tokens:
            answers[f"cancel {whose}"] = await hospital.gateway.post(
                f"/api/v1/tokens/{tokens[0]['id']}/cancel", headers=key)
            answers[f"reallocate {whose}"] = moved = await hospital.gateway.post(
                f"/api/v1/tokens/{tokens[1]['id']}/reallocate", headers=key,
                json={"new_slot_id": later["id"]})
            if moved.status_code == 200:
                tokens[1] = moved.json()
    return answers


@pytest.mark.parametrize("role", list(PROMISED))
async def test_each_role_gets_exactly_the_answers_security_md_promises(
    hospital, role: str
) -> None:
    key = await hospital.key(Role(role), channel=f"{role}-app")
    desk = await hospital.key(Role.DESK, channel="hospital-desk")
    _, (slot, later) = await hospital.doctor_with_slots(50, 50)
    booked = await _book(hospital, slot, key)
    own = [booked.json(), (await _book(hospital, slot, key)).json()] \
        if booked.status_code == 201 else []
    foreign = [(await _book(hospital, slot, desk)).json() for _ in range(2)]

    answers = {"book": booked, **await _moves(hospital, key, own, foreign, later)}
    mine, theirs = [await _settled(hospital, t[1]) if t else None for t in (own, foreign)]
    if mine:
        answers["read own token"] = await hospital.queue_view.get(
            f"/api/v1/tokens/{mine['id']}", headers=key)
    answers["read foreign token"] = await hospital.queue_view.get(
        f"/api/v1/tokens/{theirs['id']}", headers=key)
    answers["read board"] = await hospital.queue_view.get(
        f"/api/v1/slots/{theirs['slot_id']}/queue", headers=key)
    answers["slip"] = await hospital.queue_view.get(f"/api/v1/tokens/{theirs['id']}/slip",
                                                    headers=key)
    answers["analytics"] = await hospital.analytics.get("/api/v1/analytics/system/status",
                                                        headers=key)

    got = {call: _cell(call, answer) for call, answer in answers.items()}
    assert got == {call: cell for call, cell in PROMISED[role].items() if cell != "—"}
