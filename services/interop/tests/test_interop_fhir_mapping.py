"""Records map onto valid R4 resources, with statuses from R4's value sets, and an
Appointment a client sends maps back onto the booking it asks for."""

from __future__ import annotations

import pytest
from fhir.resources.R4B import get_fhir_model_class

from interop.fhir.answers import FhirError
from interop.fhir.booking import booking_from
from interop.fhir.mapping import APPOINTMENT_STATUS, Mapper
from interop.fhir.outcome import operation_outcome
from interop.fhir.search import cursor, day_filter, page, reference_id, token_param

MAPPER = Mapper("https://opd.example/fhir", "Asia/Kolkata")
# R4 appointmentstatus and slotstatus (hl7.org/fhir/R4/valueset-*.html).
R4_APPOINTMENT = {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled",
                  "noshow", "entered-in-error", "checked-in", "waitlist"}
SLOT = {"id": 17, "doctor_id": 1, "date": "2026-12-01", "start_time": "09:00",
        "end_time": "10:00", "max_capacity": 2, "current_count": 2, "overflow_count": 1,
        "is_active": True}
TOKEN = {"id": 33, "token_number": "DOC1-20261201-0001", "patient_name": "Asha Rao",
         "doctor_id": 1, "slot_id": 17, "source": "online", "status": "allocated",
         "priority_score": 30, "is_emergency": True, "allocated_at": "2026-11-30T10:00:00Z",
         "abha_number": "91-1234-5678-9012"}


def _valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


@pytest.mark.parametrize("status", APPOINTMENT_STATUS)
def test_every_token_status_is_an_r4_appointment_status(status: str) -> None:
    appointment = _valid(MAPPER.appointment({**TOKEN, "status": status}, SLOT))

    assert appointment["status"] in R4_APPOINTMENT


def test_an_emergency_appointment_is_priority_one_with_the_slots_local_times() -> None:
    appointment = _valid(MAPPER.appointment(TOKEN, SLOT))

    assert (appointment["priority"], appointment["start"]) == (1, "2026-12-01T09:00:00+05:30")
    assert appointment["appointmentType"]["coding"][0]["code"] == "EMERGENCY"


def test_a_patient_hidden_from_the_caller_leaves_no_trace_in_the_appointment() -> None:
    hidden = {**TOKEN, "patient_name": None, "abha_number": None}

    assert _valid(MAPPER.appointment(hidden, None))["participant"][1]["actor"] == {
        "type": "Patient"}


def test_a_full_slot_is_busy_and_counts_its_places_and_overflow() -> None:
    slot = _valid(MAPPER.slot(SLOT))

    assert (slot["status"], slot["overbooked"]) == ("busy", True)
    assert {e["url"]: e["valueInteger"] for e in slot["extension"][0]["extension"]} == {
        "capacity": 2, "booked": 2, "available": 0, "overflow": 1}
    assert MAPPER.slot({**SLOT, "is_active": False})["status"] == "busy-unavailable"


def test_a_refusal_with_alternatives_is_a_valid_operation_outcome() -> None:
    outcome = _valid(operation_outcome(MAPPER, 409, "slot 17 is full", "slot_full",
                                       alternatives=[{**SLOT, "id": 18, "current_count": 0}]))

    assert [i["severity"] for i in outcome["issue"]] == ["error", "information"]
    assert outcome["issue"][1]["extension"][0]["valueReference"] == {"reference": "Slot/18"}


def test_an_appointment_with_a_contained_patient_asks_for_that_patients_booking() -> None:
    booking = booking_from({
        "resourceType": "Appointment", "status": "booked", "comment": "fever",
        "contained": [{"resourceType": "Patient", "id": "p",
                       "name": [{"given": ["Asha"], "family": "Rao"}],
                       "telecom": [{"system": "phone", "value": "+91 98000 00001"}],
                       "identifier": [{"system": "https://healthid.ndhm.gov.in",
                                       "value": "91-1234-5678-9012"}]}],
        "appointmentType": {"coding": [{"system":
                                        "http://terminology.hl7.org/CodeSystem/v2-0276",
                                        "code": "FOLLOWUP"}]},
        "slot": [{"reference": "Slot/17"}],
        "participant": [{"actor": {"reference": "Practitioner/4"}, "status": "accepted"},
                        {"actor": {"reference": "#p"}, "status": "accepted"}]}, MAPPER)

    assert booking.body == {"patient_name": "Asha Rao", "slot_id": 17, "source": "follow_up",
                            "patient_phone": "+91 98000 00001",
                            "abha_number": "91-1234-5678-9012", "notes": "fever"}
    assert (booking.doctor_id, booking.emergency) == (4, False)


@pytest.mark.parametrize(("change", "where"), [
    ({"status": "fulfilled"}, "status"),
    ({"slot": []}, "slot"),
    ({"slot": [{"reference": "Schedule/1"}]}, "slot"),
    ({"participant": [{"actor": {"reference": "Practitioner/4"}, "status": "accepted"}]},
     "participant"),
])
def test_an_appointment_that_cannot_be_a_booking_is_refused_saying_where(
    change: dict, where: str
) -> None:
    raw = {"resourceType": "Appointment", "status": "booked",
           "slot": [{"reference": "Slot/17"}],
           "participant": [{"actor": {"type": "Patient", "display": "Asha"},
                            "status": "accepted"}], **change}
    with pytest.raises(FhirError) as refused:
        booking_from(raw, MAPPER)

    assert refused.value.status == 422
    assert refused.value.errors and refused.value.errors[0]["loc"] == [where]


def test_search_parameters_read_as_his_integrations_write_them() -> None:
    [after, before] = day_filter("start", ["ge2026-12-01", "lt2026-12-08T00:00:00+05:30"])

    assert (after.prefix, str(after.day), before.prefix, str(before.day)) == (
        "ge", "2026-12-01", "lt", "2026-12-08")
    assert reference_id("schedule", "Schedule/12", "Schedule") == 12
    assert reference_id("schedule", "12", "Schedule") == 12
    assert token_param("https://healthid.ndhm.gov.in|91-1234-5678-9012") == (
        "https://healthid.ndhm.gov.in", "91-1234-5678-9012")
    assert token_param("DOC1-20261201-0001") == (None, "DOC1-20261201-0001")
    assert (page(None, None).count, page("5", "10").offset) == (20, 10)
    assert (cursor(None), cursor("eyJsaXN0IjoidG9rZW5zIiwiYWZ0ZXIiOls3XX0")) == (
        None, "eyJsaXN0IjoidG9rZW5zIiwiYWZ0ZXIiOls3XX0")  # passed on as given


@pytest.mark.parametrize(("call", "args"), [
    (reference_id, ("schedule", "Practitioner/1", "Schedule")),
    (reference_id, ("schedule", "-1", "Schedule")),
    (day_filter, ("date", ["tomorrow"])),
    (page, ("0", None)),
    (page, ("101", None)),
    (page, (None, "x")),
    (cursor, ("",)),
    (cursor, ("not a cursor",)),
    (cursor, ("x" * 513,)),
])
def test_a_search_parameter_that_means_nothing_is_a_400(call, args) -> None:
    with pytest.raises(FhirError) as refused:
        call(*args)

    assert refused.value.status == 400
