"""The product's records as FHIR R4 resources (docs/INTEROP.md has the same tables).

Doctor -> Practitioner, PractitionerRole and Schedule (one each, the doctor's id); slot ->
Slot; token -> Appointment. Every builder returns a plain dict that `checked` has
validated with the FHIR library.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from interop.fhir.models import checked

__all__ = ["ABHA_SYSTEM", "APPOINTMENT_STATUS", "SOURCE_TYPE", "TOKEN_STATUS", "Mapper"]

# The ABHA number's naming system in ABDM's FHIR profiles (NRCeS implementation guide).
ABHA_SYSTEM = "https://healthid.ndhm.gov.in"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"  # appointment reason codes
# Token status -> Appointment.status (R4 value set appointmentstatus).
APPOINTMENT_STATUS = {
    "allocated": "booked",  # a place in a slot, not yet at the hospital
    "checked_in": "arrived",  # at the desk, waiting to be called
    "consulting": "checked-in",  # with the doctor: the pre-encounter work is done
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
TOKEN_STATUS = {fhir: token for token, fhir in APPOINTMENT_STATUS.items()}
# Source -> Appointment.appointmentType (HL7 v2 table 0276); an emergency is EMERGENCY.
SOURCE_TYPE = {"walk_in": "WALKIN", "follow_up": "FOLLOWUP", "online": "ROUTINE",
               "priority": "ROUTINE"}
# Appointment.priority: 1 is the most urgent (FHIR); emergencies, then the sources' weights.
SOURCE_PRIORITY = {"priority": 2, "follow_up": 3, "online": 4, "walk_in": 5}


@dataclass(frozen=True)
class Mapper:
    system_base: str  # OPD_FHIR_SYSTEM_BASE: our naming systems and extensions
    timezone: str

    # Naming systems and extensions of this product.
    @property
    def token_number_system(self) -> str:
        return f"{self.system_base}/sid/token-number"

    def extension_url(self, name: str) -> str:
        return f"{self.system_base}/StructureDefinition/{name}"

    @property
    def error_system(self) -> str:
        return f"{self.system_base}/CodeSystem/error-code"

    def instant(self, day: str, clock: str) -> str:
        """A slot's wall-clock time in the hospital, with its offset (FHIR needs one)."""
        local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(clock),
                                    tzinfo=ZoneInfo(self.timezone))
        return local.isoformat()

    # Doctors.
    def practitioner(self, doctor: dict[str, Any]) -> dict[str, Any]:
        return checked({"resourceType": "Practitioner", "id": str(doctor["id"]),
                        "active": doctor.get("is_active", True),
                        "name": [{"text": doctor["name"]}]})

    def practitioner_role(self, doctor: dict[str, Any]) -> dict[str, Any]:
        role: dict[str, Any] = {
            "resourceType": "PractitionerRole", "id": str(doctor["id"]),
            "active": doctor.get("is_active", True),
            "practitioner": {"reference": f"Practitioner/{doctor['id']}",
                             "display": doctor["name"]},
            "specialty": [{"text": doctor["specialization"]}]}
        if doctor.get("room"):
            role["extension"] = [{"url": self.extension_url("room"),
                                  "valueString": doctor["room"]}]
        return checked(role)

    def schedule(self, doctor: dict[str, Any]) -> dict[str, Any]:
        return checked({"resourceType": "Schedule", "id": str(doctor["id"]),
                        "active": doctor.get("is_active", True),
                        "specialty": [{"text": doctor["specialization"]}],
                        "actor": [{"reference": f"Practitioner/{doctor['id']}",
                                   "display": doctor["name"]}],
                        "comment": f"OPD of {doctor['name']}"
                                   + (f", room {doctor['room']}" if doctor.get("room") else "")})

    # Slots.
    @staticmethod
    def slot_status(slot: dict[str, Any]) -> str:
        if not slot.get("is_active", True):
            return "busy-unavailable"
        return "busy" if slot["current_count"] >= slot["max_capacity"] else "free"

    def slot(self, slot: dict[str, Any]) -> dict[str, Any]:
        places = [("capacity", slot["max_capacity"]), ("booked", slot["current_count"]),
                  ("available", max(slot["max_capacity"] - slot["current_count"], 0)),
                  ("overflow", slot.get("overflow_count", 0))]
        return checked({
            "resourceType": "Slot", "id": str(slot["id"]),
            "extension": [{"url": self.extension_url("slot-places"), "extension": [
                {"url": name, "valueInteger": value} for name, value in places]}],
            "schedule": {"reference": f"Schedule/{slot['doctor_id']}"},
            "status": self.slot_status(slot),
            "start": self.instant(slot["date"], slot["start_time"]),
            "end": self.instant(slot["date"], slot["end_time"]),
            "overbooked": slot.get("overflow_count", 0) > 0,
        })

    # Tokens.
    def appointment(self, token: dict[str, Any], slot: dict[str, Any] | None) -> dict[str, Any]:
        """`slot` gives start and end (R4's app-3: a booked appointment has both); without
        it (its event not yet read) the appointment still says which slot it holds."""
        patient: dict[str, Any] = {"type": "Patient"}
        if token.get("patient_name"):
            patient["display"] = token["patient_name"]
        if token.get("abha_number"):
            patient["identifier"] = {"system": ABHA_SYSTEM, "value": token["abha_number"],
                                     "type": {"text": "ABHA number"}}
        source = token["source"]
        kind = "EMERGENCY" if token.get("is_emergency") else SOURCE_TYPE[source]
        appointment: dict[str, Any] = {
            "resourceType": "Appointment", "id": str(token["id"]),
            "extension": [{"url": self.extension_url("token-source"), "valueCode": source},
                          {"url": self.extension_url("priority-score"),
                           "valueInteger": token["priority_score"]}],
            "identifier": [{"system": self.token_number_system,
                            "value": token["token_number"]}],
            "status": APPOINTMENT_STATUS[token["status"]],
            "appointmentType": {"coding": [{"system": V2_0276, "code": kind}]},
            "priority": 1 if token.get("is_emergency") else SOURCE_PRIORITY[source],
            "slot": [{"reference": f"Slot/{token['slot_id']}"}],
            "created": token["allocated_at"],
            "participant": [
                {"actor": {"reference": f"Practitioner/{token['doctor_id']}"},
                 "required": "required", "status": "accepted"},
                {"actor": patient, "required": "required", "status": "accepted"}],
        }
        if slot is not None:
            appointment["start"] = self.instant(slot["date"], slot["start_time"])
            appointment["end"] = self.instant(slot["date"], slot["end_time"])
        if token.get("notes"):
            appointment["comment"] = token["notes"]
        if token["status"] == "cancelled" and token.get("move_reason"):
            appointment["cancelationReason"] = {"text": token["move_reason"]}
        return checked(appointment)
