"""FHIR writes go through the gateway: a booking made as an Appointment is the same token
the REST API shows, and the reverse; refusals are valid OperationOutcomes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from opd_shared.access import Role

from ..conftest import eventually, new_phone
from .conftest import abha, fhir_valid
from .test_fhir_reads import _resource

ABHA_SYSTEM = "https://healthid.ndhm.gov.in"


def appointment(slot: dict, *, name: str = "Meera Iyer", number: str | None = None,
                kind: str = "WALKIN", doctor: bool = True, **more: Any) -> dict[str, Any]:
    """An Appointment as an HIS would post it: the patient contained, the slot referenced."""
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "name": [{"text": name}],
                               "telecom": [{"system": "phone", "value": new_phone()}]}
    if number:
        patient["identifier"] = [{"system": ABHA_SYSTEM, "value": number}]
    participants = [{"actor": {"reference": "#p"}, "status": "accepted"}]
    if doctor:
        participants.insert(0, {"actor": {"reference": f"Practitioner/{slot['doctor_id']}"},
                                "status": "accepted"})
    return {"resourceType": "Appointment", "status": "booked", "contained": [patient],
            "appointmentType": {"coding": [{"system":
                                            "http://terminology.hl7.org/CodeSystem/v2-0276",
                                            "code": kind}]},
            "slot": [{"reference": f"Slot/{slot['id']}"}], "participant": participants,
            **more}


async def _rest_token(interop, token_id: int | str, **seen: object) -> dict:
    """The token as queue-view shows it, once it shows it with the fields `seen` (a read
    model applies a change up to its batch window, 100 ms, after the decision)."""
    answer = await eventually(lambda: interop.hospital.queue_view.get(
        f"/api/v1/tokens/{token_id}", headers=interop.hospital.admin),
        lambda a: a.status_code == 200 and seen.items() <= a.json().items())
    return answer.json()


async def test_an_appointment_booked_through_fhir_is_the_token_the_rest_api_shows(
    interop
) -> None:
    _, (slot,) = await interop.hospital.doctor_with_slots(5)
    number = abha()
    created = await interop.fhir.post("/fhir/Appointment", headers=interop.hospital.admin,
                                      json=appointment(slot, number=number, doctor=False,
                                                       comment="knee pain"))
    booked = _resource(created)
    assert created.status_code == 201, booked
    token = await _rest_token(interop, booked["id"])

    assert created.status_code == 201
    assert created.headers["location"] == f"Appointment/{booked['id']}"
    assert booked["identifier"][0]["value"] == token["token_number"]
    assert (token["slot_id"], token["doctor_id"], token["source"]) == (
        slot["id"], slot["doctor_id"], "walk_in")
    assert (token["patient_name"], token["abha_number"], token["notes"]) == (
        "Meera Iyer", number, "knee pain")
    assert booked["participant"][1]["actor"]["identifier"]["value"] == number


async def test_a_token_booked_through_rest_reads_back_as_the_same_appointment(interop) -> None:
    _, (slot,) = await interop.hospital.doctor_with_slots(5)
    number = abha()
    token = (await interop.hospital.gateway.post("/api/v1/tokens", headers=interop.hospital.admin,
                                                 json={"patient_name": "Kabir Shah",
                                                       "doctor_id": slot["doctor_id"],
                                                       "slot_id": slot["id"],
                                                       "source": "follow_up",
                                                       "abha_number": number})).json()
    await _rest_token(interop, token["id"])
    read = _resource(await interop.fhir.get(f"/fhir/Appointment/{token['id']}",
                                            headers=interop.hospital.admin))

    assert read["identifier"][0]["value"] == token["token_number"]
    assert read["slot"] == [{"reference": f"Slot/{slot['id']}"}]
    assert read["appointmentType"]["coding"][0]["code"] == "FOLLOWUP"
    assert read["participant"][1]["actor"]["display"] == "Kabir Shah"
    assert read["participant"][1]["actor"]["identifier"]["value"] == number
    assert dt.datetime.fromisoformat(read["created"]) == dt.datetime.fromisoformat(
        token["allocated_at"])


async def test_a_full_slot_is_refused_with_an_operation_outcome_naming_the_alternatives(
    interop
) -> None:
    _, (full, other) = await interop.hospital.doctor_with_slots(1, 4)
    admin = interop.hospital.admin
    first = await interop.fhir.post("/fhir/Appointment", headers=admin, json=appointment(full))
    refused = await interop.fhir.post("/fhir/Appointment", headers=admin, json=appointment(full))
    outcome = _resource(refused)

    assert (first.status_code, refused.status_code) == (201, 409)
    error, *alternatives = outcome["issue"]
    assert (error["severity"], error["code"]) == ("error", "business-rule")
    assert error["details"]["coding"][0]["code"] == "slot_full"
    offered = [a["extension"][0]["valueReference"]["reference"] for a in alternatives]
    assert f"Slot/{other['id']}" in offered
    assert all(a["severity"] == "information" for a in alternatives)


async def test_a_repeated_idempotency_key_or_if_none_exist_books_once(interop) -> None:
    _, (slot,) = await interop.hospital.doctor_with_slots(5)
    admin = interop.hospital.admin
    body = appointment(slot)
    key = {"Idempotency-Key": f"his-{uuid.uuid4()}"}
    condition = {"If-None-Exist": f"identifier=his|{uuid.uuid4()}"}
    by_key = [_resource(await interop.fhir.post("/fhir/Appointment", json=body,
                                                headers={**admin, **key})) for _ in range(2)]
    by_condition = [_resource(await interop.fhir.post("/fhir/Appointment", json=body,
                                                      headers={**admin, **condition}))
                    for _ in range(2)]

    assert by_key[0]["id"] == by_key[1]["id"]
    assert by_condition[0]["id"] == by_condition[1]["id"] != by_key[0]["id"]


async def test_patch_and_cancel_move_the_token_through_the_gateway(interop) -> None:
    _, (slot,) = await interop.hospital.doctor_with_slots(5)
    admin = interop.hospital.admin
    one, two = [_resource(await interop.fhir.post("/fhir/Appointment", headers=admin,
                                                  json=appointment(slot))) for _ in range(2)]
    arrived = await interop.fhir.patch(
        f"/fhir/Appointment/{one['id']}", headers={**admin, "content-type":
                                                   "application/json-patch+json"},
        content=b'[{"op": "replace", "path": "/status", "value": "arrived"}]')
    cancelled = await interop.fhir.post(
        f"/fhir/Appointment/{two['id']}/$cancel", headers=admin,
        json={"resourceType": "Parameters",
              "parameter": [{"name": "reason", "valueString": "feeling better"}]})
    again = await interop.fhir.post(f"/fhir/Appointment/{two['id']}/$cancel", headers=admin)
    bad = await interop.fhir.patch(f"/fhir/Appointment/{one['id']}", headers=admin,
                                   json=[{"op": "replace", "path": "/start", "value": "x"}])

    assert (arrived.status_code, _resource(arrived)["status"]) == (200, "arrived")
    assert (cancelled.status_code, _resource(cancelled)["status"]) == (200, "cancelled")
    assert (await _rest_token(interop, one["id"], status="checked_in"))["status"] == "checked_in"
    assert (again.status_code, _resource(again)["issue"][0]["code"]) == (409, "business-rule")
    assert bad.status_code == 422 and fhir_valid(bad.json()).issue


async def test_a_channel_key_books_as_its_role_allows_and_reaches_only_its_own(
    interop
) -> None:
    _, (slot,) = await interop.hospital.doctor_with_slots(5)
    online = await interop.hospital.key(Role.ONLINE, channel="his-portal")
    desk_booked = _resource(await interop.fhir.post(
        "/fhir/Appointment", headers=interop.hospital.admin, json=appointment(slot)))
    walk_in = await interop.fhir.post("/fhir/Appointment", headers=online,
                                      json=appointment(slot))
    routine = await interop.fhir.post("/fhir/Appointment", headers=online,
                                      json=appointment(slot, kind="ROUTINE"))
    foreign = await interop.fhir.post(f"/fhir/Appointment/{desk_booked['id']}/$cancel",
                                      headers=online)

    assert (walk_in.status_code, _resource(walk_in)["issue"][0]["code"]) == (403, "forbidden")
    assert routine.status_code == 201
    assert (await _rest_token(interop, _resource(routine)["id"]))["channel"] == "his-portal"
    assert (foreign.status_code, _resource(foreign)["issue"][0]["code"]) == (404, "not-found")
    assert (await _rest_token(interop, desk_booked["id"]))["status"] == "allocated"


async def test_a_body_that_is_no_appointment_is_refused_and_books_nothing(interop) -> None:
    _, (slot,) = await interop.hospital.doctor_with_slots(5)
    admin = interop.hospital.admin
    bodies = {"unknown element": {**appointment(slot), "colour": "red"},
              "no slot": {**appointment(slot), "slot": []},
              "no patient": {**appointment(slot), "participant": [
                  {"actor": {"reference": f"Practitioner/{slot['doctor_id']}"},
                   "status": "accepted"}]},
              "bad ABHA": appointment(slot, number="12345"),
              "not an appointment": {"resourceType": "Patient"}}
    answers = {why: await interop.fhir.post("/fhir/Appointment", json=body, headers=admin)
               for why, body in bodies.items()}
    fine = _resource(await interop.fhir.post("/fhir/Appointment", json=appointment(slot),
                                             headers=admin))

    assert {why: a.status_code for why, a in answers.items()} == {
        "unknown element": 422, "no slot": 422, "no patient": 422, "bad ABHA": 422,
        "not an appointment": 400}
    assert all(fhir_valid(a.json()).get_resource_type() == "OperationOutcome"
               for a in answers.values())
    assert "ABHA" in answers["bad ABHA"].text
    assert (await _rest_token(interop, fine["id"]))["sequence_number"] == 1  # none before
