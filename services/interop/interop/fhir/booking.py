"""A client's FHIR Appointment as the product's booking request (docs/INTEROP.md).

The patient is the participant whose actor is of type Patient: its `display` is the name
and its `identifier` (system https://healthid.ndhm.gov.in) the ABHA number; or a contained
Patient the actor references (`#id`), with name, `telecom` phone and identifier. The slot
is `slot[0]`, the doctor the Practitioner participant (else the slot's own doctor). The
source is our `token-source` extension, else appointmentType (WALKIN, FOLLOWUP, EMERGENCY,
ROUTINE = online).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop.fhir.answers import FhirError
from interop.fhir.mapping import ABHA_SYSTEM, V2_0276, Mapper

__all__ = ["Booking", "booking_from"]

_TYPE_SOURCE = {"WALKIN": "walk_in", "FOLLOWUP": "follow_up", "ROUTINE": "online",
                "CHECKUP": "online", "EMERGENCY": "priority"}
_BOOKABLE = {"proposed", "pending", "booked"}


@dataclass(frozen=True)
class Booking:
    body: dict[str, Any]  # the gateway's TokenIn
    slot_id: int
    doctor_id: int | None  # None: the slot's own doctor, looked up before booking
    emergency: bool


def _invalid(detail: str, where: str) -> FhirError:
    return FhirError(422, detail, "validation_error", errors=[{"loc": [where],
                                                               "msg": detail}])


def _id_of(reference: str | None, kind: str, where: str) -> int:
    tail = (reference or "").removeprefix(f"{kind}/")
    if not reference or not reference.startswith(f"{kind}/") or not tail.isdigit():
        raise _invalid(f"expected a reference {kind}/<id>, not {reference!r}", where)
    return int(tail)


def _contained_patient(raw: dict[str, Any], reference: str) -> dict[str, Any]:
    for resource in raw.get("contained") or []:
        if resource.get("resourceType") == "Patient" and f"#{resource.get('id')}" == reference:
            return resource
    raise _invalid(f"no contained Patient {reference}", "participant.actor.reference")


def _name_of(patient: dict[str, Any]) -> str | None:
    for name in patient.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*(name.get("given") or []), name.get("family") or ""]
        if any(parts):
            return " ".join(p for p in parts if p)
    return None


def _abha_of(identifiers: list[dict[str, Any]]) -> str | None:
    return next((i.get("value") for i in identifiers if i.get("system") == ABHA_SYSTEM), None)


def _patient(raw: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(name, phone, ABHA number) of the appointment's patient."""
    for participant in raw.get("participant") or []:
        actor = participant.get("actor") or {}
        reference = actor.get("reference") or ""
        if reference.startswith("#"):
            patient = _contained_patient(raw, reference)
            phone = next((t.get("value") for t in patient.get("telecom") or []
                          if t.get("system") in ("phone", "sms")), None)
            return (_name_of(patient) or actor.get("display") or "", phone,
                    _abha_of(patient.get("identifier") or []))
        if actor.get("type") == "Patient" or reference.startswith("Patient/"):
            identifier = actor.get("identifier")
            return (actor.get("display") or "", None,
                    _abha_of([identifier] if identifier else []))
    raise _invalid("name the patient: a participant whose actor has type Patient and a "
                   "display, or references a contained Patient", "participant")


def _source(raw: dict[str, Any], mapper: Mapper) -> tuple[str, bool]:
    codes = [c.get("code") for c in (raw.get("appointmentType") or {}).get("coding") or []
             if c.get("system") == V2_0276]
    emergency = "EMERGENCY" in codes
    for extension in raw.get("extension") or []:
        if extension.get("url") == mapper.extension_url("token-source"):
            return str(extension.get("valueCode")), emergency
    known = [c for c in codes if c in _TYPE_SOURCE]
    return (_TYPE_SOURCE[known[0]] if known else "online"), emergency


def booking_from(raw: dict[str, Any], mapper: Mapper) -> Booking:
    """The booking a (library-validated) Appointment asks for; 422 when it cannot be one."""
    if raw.get("status") not in _BOOKABLE:
        raise _invalid(f"a new appointment is proposed, pending or booked, not "
                       f"{raw.get('status')!r}", "status")
    slots = raw.get("slot") or []
    if len(slots) != 1:
        raise _invalid("give exactly one slot: [{\"reference\": \"Slot/<id>\"}]", "slot")
    slot_id = _id_of(slots[0].get("reference"), "Slot", "slot")
    doctors = [_id_of(p["actor"]["reference"], "Practitioner", "participant.actor")
               for p in raw.get("participant") or []
               if (p.get("actor") or {}).get("reference", "").startswith("Practitioner/")]
    name, phone, abha = _patient(raw)
    source, emergency = _source(raw, mapper)
    body: dict[str, Any] = {"patient_name": name, "slot_id": slot_id, "source": source}
    body |= {k: v for k, v in (("patient_phone", phone), ("abha_number", abha),
                               ("notes", raw.get("comment"))) if v}
    return Booking(body, slot_id, doctors[0] if doctors else None, emergency)
