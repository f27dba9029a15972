"""What this FHIR endpoint does, as a CapabilityStatement (GET /fhir/metadata)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from interop.fhir.models import FHIR_VERSION, checked

__all__ = ["capability_statement"]

_READ = [{"code": "read"}, {"code": "search-type"}]


def _param(name: str, kind: str, doc: str) -> dict[str, str]:
    return {"name": name, "type": kind, "documentation": doc}


def _resource(kind: str, params: list[dict[str, str]], *extra: dict[str, str],
              **more: Any) -> dict[str, Any]:
    return {"type": kind, "interaction": [*_READ, *extra], "searchParam": params, **more}


def capability_statement(published: dt.date) -> dict[str, Any]:
    count = _param("_count", "number", "Page size (1-100, 20 by default); the Bundle's "
                                       "`next` link gives the next page")
    cursor = _param("_cursor", "string", "Where the next page starts: opaque, as the "
                                         "Bundle's `next` link gives it (no `_offset`); "
                                         "omit for the first page")
    return checked({
        "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": published.isoformat(), "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "software": {"name": "OPD token allocation: interop"},
        "implementation": {"description": "OPD tokens as FHIR Schedule, Slot and Appointment, "
                                          "in front of the same allocator"},
        "rest": [{
            "mode": "server",
            "security": {"description": "Authorization: Bearer <the product's API key>; the "
                                        "key's role and channel decide, as on the REST API"},
            "resource": [
                _resource("Practitioner", [count]),
                _resource("PractitionerRole", [count]),
                _resource("Schedule", [count]),
                _resource("Slot", [
                    _param("schedule", "reference", "Schedule/<doctor id>"),
                    _param("start", "date", "The slot's day: eq (default), ge, gt, le, lt"),
                    _param("status", "token", "free | busy | busy-unavailable"), count]),
                _resource("Appointment", [
                    _param("date", "date", "The visit day (required unless identifier)"),
                    _param("practitioner", "reference", "Practitioner/<doctor id>"),
                    _param("status", "token", "booked | arrived | checked-in | fulfilled | "
                                              "cancelled | noshow"),
                    _param("identifier", "token", "The token number (system optional), or "
                                                  "the ABHA number with its system"), count,
                    cursor],
                    {"code": "create"}, {"code": "patch"},
                    conditionalCreate=True,
                    operation=[{"name": "cancel",
                                "definition": "OperationDefinition/Appointment-cancel"}]),
            ],
        }],
    })
