"""FHIR reads: every resource validates with the FHIR library, statuses come from R4's
value sets, searches page with Bundle links, and what is not supported is refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import jsonschema

from opd_shared.access import Role

from ..conftest import FAR_DAY, eventually, new_phone
from .conftest import abha, fhir_valid

# R4's required value sets for the codes we write (hl7.org/fhir/R4/valueset-*.html).
APPOINTMENT_STATUSES = {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled",
                        "noshow", "entered-in-error", "checked-in", "waitlist"}
SLOT_STATUSES = {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
FHIR_JSON = "application/fhir+json"


def _resource(answer: httpx.Response) -> dict:
    assert answer.headers["content-type"].startswith(FHIR_JSON), answer.text
    body = answer.json()
    fhir_valid(body)
    return body


async def _booked_day(interop, *capacities: int) -> tuple[dict, list[dict], list[dict]]:
    """A doctor with slots on FAR_DAY, two tokens in the first (one with an ABHA number)."""
    hospital = interop.hospital
    doctor, slots = await hospital.doctor_with_slots(*capacities)
    tokens = []
    for number in (abha(), None):
        tokens.append((await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
            "patient_name": "Ravi Kumar", "patient_phone": new_phone(),
            "doctor_id": doctor["id"], "slot_id": slots[0]["id"], "source": "walk_in",
            "abha_number": number})).json())
    await eventually(lambda: hospital.queue_view.get(f"/api/v1/tokens/{tokens[-1]['id']}",
                                                     headers=hospital.admin),
                     lambda a: a.status_code == 200)
    return doctor, slots, tokens


async def test_every_resource_the_fhir_api_returns_validates_with_the_fhir_library(
    interop
) -> None:
    doctor, slots, tokens = await _booked_day(interop, 2, 3)
    admin = interop.hospital.admin
    reads = {f"/fhir/{kind}/{doctor['id']}": kind
             for kind in ("Practitioner", "PractitionerRole", "Schedule")}
    reads |= {f"/fhir/Slot/{slots[0]['id']}": "Slot", f"/fhir/Appointment/{tokens[0]['id']}":
              "Appointment", "/fhir/metadata": "CapabilityStatement"}
    searches = ["/fhir/Practitioner", "/fhir/PractitionerRole", "/fhir/Schedule",
                f"/fhir/Slot?schedule=Schedule/{doctor['id']}",
                f"/fhir/Appointment?date={FAR_DAY}&practitioner=Practitioner/{doctor['id']}"]

    read = {path: _resource(await interop.fhir.get(path, headers=admin)) for path in reads}
    found = [_resource(await interop.fhir.get(path, headers=admin)) for path in searches]

    assert {path: r["resourceType"] for path, r in read.items()} == reads
    assert all(b["resourceType"] == "Bundle" and b["type"] == "searchset" for b in found)
    entries = [e["resource"] for b in found for e in b["entry"]]
    assert {r["resourceType"] for r in entries} == {
        "Practitioner", "PractitionerRole", "Schedule", "Slot", "Appointment"}
    assert all(fhir_valid(r) for r in entries)
    appointments = [r for r in entries if r["resourceType"] == "Appointment"]
    assert {a["status"] for a in appointments} <= APPOINTMENT_STATUSES
    assert {r["status"] for r in entries if r["resourceType"] == "Slot"} <= SLOT_STATUSES
    assert read["/fhir/metadata"]["fhirVersion"] == "4.0.1"


async def test_an_appointment_shows_the_token_number_the_slot_times_and_the_abha_number(
    interop
) -> None:
    doctor, slots, tokens = await _booked_day(interop, 2)
    appointment = _resource(await interop.fhir.get(f"/fhir/Appointment/{tokens[0]['id']}",
                                                   headers=interop.hospital.admin))
    slot = _resource(await interop.fhir.get(f"/fhir/Slot/{slots[0]['id']}",
                                            headers=interop.hospital.admin))

    assert [i["value"] for i in appointment["identifier"]] == [tokens[0]["token_number"]]
    assert appointment["status"] == "booked"
    assert appointment["start"] == f"{FAR_DAY}T09:00:00+05:30"
    assert appointment["appointmentType"]["coding"][0]["code"] == "WALKIN"
    patient = appointment["participant"][1]["actor"]
    assert patient["identifier"]["value"] == tokens[0]["abha_number"]
    assert patient["identifier"]["system"] == "https://healthid.ndhm.gov.in"
    assert patient["display"] == "Ravi Kumar"
    assert appointment["participant"][0]["actor"]["reference"] == f"Practitioner/{doctor['id']}"
    assert (slot["status"], slot["schedule"]["reference"]) == ("busy", f"Schedule/{doctor['id']}")
    places = {e["url"]: e["valueInteger"] for e in slot["extension"][0]["extension"]}
    assert places == {"capacity": 2, "booked": 2, "available": 0, "overflow": 0}


async def test_a_key_that_may_not_see_the_patient_gets_the_appointment_without_them(
    interop
) -> None:
    _, _, tokens = await _booked_day(interop, 2)
    online = await interop.hospital.key(Role.ONLINE, channel="another-app")
    foreign = await interop.fhir.get(f"/fhir/Appointment/{tokens[0]['id']}", headers=online)
    listed = _resource(await interop.fhir.get(f"/fhir/Appointment?date={FAR_DAY}",
                                              headers=online))

    assert foreign.status_code == 404
    outcome = _resource(foreign)
    assert outcome["issue"][0]["code"] == "not-found"
    assert tokens[0]["token_number"] not in str(listed)  # a channel lists its own only
    assert "Ravi" not in foreign.text and tokens[0]["abha_number"] not in foreign.text


async def test_slot_search_filters_by_schedule_start_and_status_and_pages_with_links(
    interop
) -> None:
    doctor, slots, _ = await _booked_day(interop, 2, 3, 4)
    admin = interop.hospital.admin
    query = f"/fhir/Slot?schedule=Schedule/{doctor['id']}&start=ge{FAR_DAY}&_count=1"

    pages, url = [], query
    while url:
        page = _resource(await interop.fhir.get(url, headers=admin))
        pages.append([e["resource"]["id"] for e in page["entry"]])
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    free = _resource(await interop.fhir.get(
        f"/fhir/Slot?schedule=Schedule/{doctor['id']}&status=free", headers=admin))
    later = _resource(await interop.fhir.get(
        f"/fhir/Slot?schedule=Schedule/{doctor['id']}&start=gt{FAR_DAY}", headers=admin))

    assert pages == [[str(s["id"])] for s in slots]
    assert [e["resource"]["id"] for e in free["entry"]] == [str(s["id"]) for s in slots[1:]]
    assert later.get("entry", []) == []


async def test_appointment_search_by_date_practitioner_status_and_identifier(interop) -> None:
    doctor, _, tokens = await _booked_day(interop, 3)
    admin = interop.hospital.admin
    await interop.hospital.gateway.post(f"/api/v1/tokens/{tokens[1]['id']}/cancel",
                                        headers=admin)
    base = f"/fhir/Appointment?date={FAR_DAY}&practitioner={doctor['id']}"

    async def ids(query: str) -> list[str]:
        bundle = _resource(await interop.fhir.get(query, headers=admin))
        return [e["resource"]["id"] for e in bundle.get("entry", [])]

    cancelled = await eventually(lambda: ids(f"{base}&status=cancelled"), lambda found: found)
    assert cancelled == [str(tokens[1]["id"])]
    assert await ids(base) == [str(t["id"]) for t in tokens]
    assert await ids(f"{base}&status=booked") == [str(tokens[0]["id"])]
    assert await ids(f"/fhir/Appointment?identifier={tokens[0]['token_number']}") == [
        str(tokens[0]["id"])]
    assert await ids(f"{base}&identifier=https://healthid.ndhm.gov.in|"
                     f"{tokens[0]['abha_number']}") == [str(tokens[0]["id"])]
    first = _resource(await interop.fhir.get(f"{base}&_count=1", headers=admin))
    assert [link["relation"] for link in first["link"]] == ["self", "next"]


async def test_walking_every_page_of_an_appointment_search_returns_each_token_once(
    interop
) -> None:
    """Pages by `_cursor` (queue-view's keyset cursor): a token that leaves the list between
    two pages shifts nothing, where an `_offset` would skip the one after the page."""
    doctor, slots, tokens = await _booked_day(interop, 5, 5)
    hospital, admin = interop.hospital, interop.hospital.admin
    for _ in range(3):
        tokens.append((await hospital.gateway.post("/api/v1/tokens", headers=admin, json={
            "patient_name": "Asha Rao", "patient_phone": new_phone(), "doctor_id": doctor["id"],
            "slot_id": slots[1]["id"], "source": "online"})).json())
    base = (f"/fhir/Appointment?date={FAR_DAY}&practitioner=Practitioner/{doctor['id']}"
            "&status=booked")
    await eventually(lambda: interop.fhir.get(base, headers=admin),
                     lambda a: len(a.json().get("entry", [])) == len(tokens))

    async def the_first_is_cancelled() -> None:  # it leaves the list, before the cursor
        await hospital.gateway.post(f"/api/v1/tokens/{tokens[0]['id']}/cancel", headers=admin)
        await eventually(lambda: hospital.queue_view.get(f"/api/v1/tokens/{tokens[0]['id']}",
                                                         headers=admin),
                         lambda a: a.json()["status"] == "cancelled")

    pages, url = [], f"{base}&_count=2"
    while url:
        bundle = _resource(await interop.fhir.get(url, headers=admin))
        pages.append([e["resource"]["id"] for e in bundle.get("entry", [])])
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert "_offset" not in str(links) and "previous" not in links
        url = links.get("next")
        if len(pages) == 1:
            await the_first_is_cancelled()

    served = [token_id for page in pages for token_id in page]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert served == [str(t["id"]) for t in tokens]  # each once, in booking order


async def test_a_cursor_the_search_did_not_give_out_is_a_400_operation_outcome(interop) -> None:
    doctor, _, _ = await _booked_day(interop, 3)
    admin = interop.hospital.admin
    base = f"/fhir/Appointment?date={FAR_DAY}&practitioner=Practitioner/{doctor['id']}"
    first = _resource(await interop.fhir.get(f"{base}&_count=1", headers=admin))
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    slots_cursor = "eyJsaXN0Ijoic2xvdHMiLCJhZnRlciI6WzFdfQ"  # another list's: {"list": "slots"}

    answers = {
        "garbage": await interop.fhir.get(f"{base}&_cursor=not*a*cursor", headers=admin),
        "edited": await interop.fhir.get(f"{base}&_cursor=eyJsaXN0Ijo", headers=admin),
        "another list's": await interop.fhir.get(f"{base}&_cursor={slots_cursor}",
                                                 headers=admin),
        "an offset": await interop.fhir.get(f"{base}&_offset=1", headers=admin),
    }
    given = await interop.fhir.get(following, headers=admin)

    assert {why: a.status_code for why, a in answers.items()} == dict.fromkeys(answers, 400)
    outcomes = {why: _resource(a) for why, a in answers.items()}
    assert {o["resourceType"] for o in outcomes.values()} == {"OperationOutcome"}
    assert all("_cursor: not one this search gave out" in str(outcomes[why])
               for why in ("garbage", "edited", "another list's"))
    assert "_offset" in str(outcomes["an offset"])
    assert given.status_code == 200 and len(given.json()["entry"]) == 1


async def test_what_is_not_supported_or_not_allowed_is_a_valid_operation_outcome(
    interop
) -> None:
    admin = interop.hospital.admin
    answers = {
        "unknown parameter": await interop.fhir.get("/fhir/Slot?colour=red", headers=admin),
        "too broad": await interop.fhir.get("/fhir/Appointment", headers=admin),
        "bad date": await interop.fhir.get("/fhir/Appointment?date=soon", headers=admin),
        "bad count": await interop.fhir.get("/fhir/Schedule?_count=0", headers=admin),
        "no key": await interop.fhir.get("/fhir/Schedule"),
        "unknown key": await interop.fhir.get("/fhir/Schedule",
                                              headers={"Authorization": "Bearer nope"}),
    }
    display = await interop.hospital.key(Role.DISPLAY)
    answers["display reads a token"] = await interop.fhir.get("/fhir/Appointment/5",
                                                              headers=display)

    statuses = {why: a.status_code for why, a in answers.items()}
    assert statuses == {"unknown parameter": 400, "too broad": 400, "bad date": 400,
                        "bad count": 400, "no key": 401, "unknown key": 401,
                        "display reads a token": 403}
    codes = {why: _resource(a)["issue"][0]["code"] for why, a in answers.items()}
    assert codes["no key"] == "login" and codes["display reads a token"] == "forbidden"
    assert codes["unknown parameter"] == "invalid"


# The official R4 JSON schema (hl7.org/fhir/R4/fhir.schema.json, "json-schema/4.0"), cut to
# the definitions these resources use (ResourceList narrowed to them), gzipped: 32 KB
# instead of 2.8 MB. Source: the copy in github.com/phtal-org/fhir-schema-json (sha256
# 6ef48962c271d21f...), with that copy's one patch undone (Appointment, Patient and Encounter
# allow no other properties, as in the official file).
R4_SCHEMA = Path(__file__).with_name("fhir-r4-subset.schema.json.gz")


async def test_a_sample_of_every_resource_kind_validates_against_the_official_r4_schema(
    interop
) -> None:
    schema = json.loads(gzip.decompress(R4_SCHEMA.read_bytes()))
    validator = jsonschema.Draft6Validator(schema)
    doctor, slots, tokens = await _booked_day(interop, 2, 3)  # the first slot full
    admin = interop.hospital.admin
    paths = ["/fhir/metadata", f"/fhir/Practitioner/{doctor['id']}",
             f"/fhir/PractitionerRole/{doctor['id']}", f"/fhir/Schedule/{doctor['id']}",
             f"/fhir/Slot/{slots[0]['id']}", f"/fhir/Appointment/{tokens[0]['id']}",
             f"/fhir/Appointment?date={FAR_DAY}&practitioner={doctor['id']}&_count=1",
             "/fhir/Slot?colour=red"]  # an OperationOutcome
    full = await interop.fhir.post("/fhir/Appointment", headers=admin, json={
        "resourceType": "Appointment", "status": "booked",
        "slot": [{"reference": f"Slot/{slots[0]['id']}"}],
        "participant": [{"actor": {"type": "Patient", "display": "Late Comer"},
                         "status": "accepted"}]})  # full: an OperationOutcome with choices
    samples = [(await interop.fhir.get(path, headers=admin)).json() for path in paths]
    samples.append(full.json())

    problems = {sample["resourceType"]: [e.message[:200] for e in validator.iter_errors(sample)]
                for sample in samples}
    assert {kind: found for kind, found in problems.items() if found} == {}
    assert set(problems) == {"CapabilityStatement", "Practitioner", "PractitionerRole",
                             "Schedule", "Slot", "Appointment", "Bundle", "OperationOutcome"}
    assert full.status_code == 409
    appointment = next(s for s in samples if s["resourceType"] == "Appointment")
    assert list(validator.iter_errors({**appointment, "status": "consulting"}))  # it can fail
    assert list(validator.iter_errors({**appointment, "colour": "red"}))
