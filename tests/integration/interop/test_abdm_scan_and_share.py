"""ABDM Scan & Share, HIP side: a shared profile becomes a walk-in token at the counter's
doctor, and the on-share callback carries its number (against a stand-in ABDM gateway)."""

from __future__ import annotations

import uuid
from typing import Any

from interop.abdm.standin import AbdmStandIn

from ..conftest import eventually
from .conftest import HIP_ID, abha


def share(counter: str, number: str | None = None, request_id: str | None = None,
          **patient: Any) -> dict[str, Any]:
    """A share as the ABDM gateway sends it (HIP-facing API v1.0)."""
    return {
        "requestId": request_id or str(uuid.uuid4()), "timestamp": "2026-12-06T05:00:00.000Z",
        "intent": {"type": "PROFILE_SHARE"}, "location": {"latitude": "19.0", "longitude": "72.8"},
        "profile": {"hipCode": counter, "patient": {
            "healthId": "asha.rao@sbx", "healthIdNumber": number or abha(), "name": "Asha Rao",
            "gender": "F", "yearOfBirth": 1990, "monthOfBirth": 4, "dayOfBirth": 12,
            "address": {"line": "12 MG Road", "district": "Pune", "state": "Maharashtra",
                        "pincode": "411001"},
            "identifiers": [{"type": "MOBILE", "value": "9800012345"}], **patient}}}


async def token_numbered(interop, number: str) -> dict:
    """The token as queue-view shows the desk, once its event has been applied."""
    answer = await eventually(lambda: interop.hospital.queue_view.get(
        f"/api/v1/tokens/number/{number}", headers=interop.hospital.admin),
        lambda a: a.status_code == 200)
    return answer.json()


async def _tokens_of_doctor(interop, doctor_id: int, day: str) -> list[dict]:
    answer = await interop.hospital.queue_view.get(
        "/api/v1/tokens", params={"date": day, "doctor_id": doctor_id},
        headers=interop.hospital.admin)
    return answer.json()


async def test_a_share_books_a_walk_in_token_and_on_share_carries_its_number(interop) -> None:
    body = share("GEN-1")
    accepted = await interop.share(body)
    [callback] = await interop.abdm.answer_to(body["requestId"])
    number = callback["acknowledgement"]["tokenNumber"]
    token = await token_numbered(interop, number)

    assert accepted.status_code == 202
    assert callback["acknowledgement"] == {"status": "SUCCESS", "healthId": "asha.rao@sbx",
                                           "tokenNumber": number}
    assert callback["error"] is None and uuid.UUID(callback["requestId"])
    assert interop.abdm.headers[-1]["x-cm-id"] == "sbx"
    first_slot = interop.counters["GEN-1"]["slots"][0]
    assert (token["slot_id"], token["doctor_id"], token["source"]) == (
        first_slot["id"], first_slot["doctor_id"], "walk_in")
    assert token["abha_number"] == body["profile"]["patient"]["healthIdNumber"]
    assert (token["patient_name"], token["patient_phone"], token["channel"]) == (
        "Asha Rao", "9800012345", "abdm-scan-share")


async def test_the_same_request_again_or_another_share_that_day_answers_the_same_token(
    interop
) -> None:
    number = abha()
    first, again = share("GEN-1", number), share("GEN-1", number)
    await interop.share(first)
    [answer] = await interop.abdm.answer_to(first["requestId"])
    repeated = await interop.share(first)  # the gateway retried the very same request
    await interop.share(again)  # the patient scanned again later that day
    answers = await interop.abdm.answer_to(first["requestId"], at_least=2)
    [second] = await interop.abdm.answer_to(again["requestId"])
    await token_numbered(interop, answer["acknowledgement"]["tokenNumber"])
    doctor = interop.counters["GEN-1"]["doctor"]["id"]
    booked = [t for t in await _tokens_of_doctor(interop, doctor, first_slot_day(interop))
              if t["abha_number"] == number]

    assert repeated.status_code == 202
    assert len(answers) == 2  # the repeated request was answered again
    numbers = {a["acknowledgement"]["tokenNumber"] for a in [*answers, second]}
    assert numbers == {answer["acknowledgement"]["tokenNumber"]}
    assert len(booked) == 1


def first_slot_day(interop) -> str:
    return interop.counters["GEN-1"]["slots"][0]["date"]


async def test_a_malformed_share_is_refused_with_the_reason_and_books_nothing(interop) -> None:
    doctor = interop.counters["GEN-1"]["doctor"]["id"]
    before = await _tokens_of_doctor(interop, doctor, first_slot_day(interop))
    cases = {
        "bad ABHA number": share("GEN-1", "91-1234"),
        "no name": share("GEN-1", name=""),
        "unknown counter": share("NO-SUCH-COUNTER"),
        "no identity": share("GEN-1", healthId=None, healthIdNumber=None),
        "bad mobile": share("GEN-1", identifiers=[{"type": "MOBILE", "value": "call me"}]),
        "not a uuid": {**share("GEN-1"), "requestId": "42"},
    }
    answers = {why: await interop.share(body) for why, body in cases.items()}
    not_json = await interop.fhir.post("/v1.0/patients/profile/share", content=b"{oops",
                                       headers={"Authorization": f"Bearer {interop.abdm.token()}"})
    after = await _tokens_of_doctor(interop, doctor, first_slot_day(interop))

    assert {why: a.status_code for why, a in answers.items()} == dict.fromkeys(cases, 400)
    assert "ABHA number" in answers["bad ABHA number"].json()["detail"]
    assert "hipCode" in answers["unknown counter"].json()["detail"]
    assert "MOBILE" in answers["bad mobile"].json()["detail"]
    assert not_json.status_code == 400
    assert [t["id"] for t in after] == [t["id"] for t in before]
    requested = {body["requestId"] for body in cases.values()}
    assert not [c for c in interop.abdm.on_shares if c["resp"]["requestId"] in requested]


async def test_a_share_without_the_gateways_valid_token_is_refused(interop) -> None:
    stranger = AbdmStandIn()  # another key: a forged token
    tokens = {"none": "", "forged": stranger.token(), "expired": interop.abdm.token(exp=1),
              "other issuer": interop.abdm.token(iss="someone-else"), "garbage": "abc.def.ghi"}
    answers = {}
    for why, token in tokens.items():
        answers[why] = await interop.fhir.post(
            "/v1.0/patients/profile/share", json=share("GEN-1"),
            headers={"Authorization": f"Bearer {token}", "X-HIP-ID": HIP_ID} if token else {})
    other_hip = await interop.fhir.post(
        "/v1.0/patients/profile/share", json=share("GEN-1"),
        headers={"Authorization": f"Bearer {interop.abdm.token()}", "X-HIP-ID": "ANOTHER"})

    assert {why: a.status_code for why, a in answers.items()} == dict.fromkeys(tokens, 401)
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers.values())
    assert other_hip.status_code == 400


async def test_a_specialization_counter_books_the_earliest_slot_with_room_of_its_doctors(
    interop
) -> None:
    body = share("ORTHO")
    await interop.share(body)
    [callback] = await interop.abdm.answer_to(body["requestId"])
    token = await token_numbered(interop, callback["acknowledgement"]["tokenNumber"])

    earliest = interop.counters["ORTHO-2"]["slots"][0]  # 00:01, before the other's 23:58
    assert token["slot_id"] == earliest["id"]


async def test_a_counter_without_room_today_answers_failure_through_on_share(interop) -> None:
    shares = [share("FULL-1") for _ in range(2)]  # one place
    for body in shares:
        await interop.share(body)
    answers = [(await interop.abdm.answer_to(body["requestId"]))[0] for body in shares]

    statuses = sorted(a["acknowledgement"]["status"] for a in answers)
    [failed] = [a for a in answers if a["acknowledgement"]["status"] == "FAILURE"]
    assert statuses == ["FAILURE", "SUCCESS"]
    assert failed["error"]["code"] == 1000 and "no OPD slot with room" in failed["error"]["message"]
    assert failed["acknowledgement"].get("tokenNumber") is None


async def test_a_doctor_with_no_room_left_sends_the_patient_to_a_colleague(interop) -> None:
    shares = [share("BUSY") for _ in range(2)]  # the counter's doctor has one place
    for body in shares:
        await interop.share(body)
        await interop.abdm.answer_to(body["requestId"])
    answers = [(await interop.abdm.answer_to(body["requestId"]))[0] for body in shares]
    tokens = [await token_numbered(interop, a["acknowledgement"]["tokenNumber"])
              for a in answers]

    assert [t["doctor_id"] for t in tokens] == [interop.counters["BUSY"]["doctor"]["id"],
                                                interop.counters["BUSY-COLLEAGUE"]["doctor"]["id"]]
