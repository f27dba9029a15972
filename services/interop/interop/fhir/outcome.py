"""Refusals as FHIR OperationOutcome, carrying the product's error code and, for a full
slot, the alternatives (each a Slot reference the client can book instead)."""

from __future__ import annotations

from typing import Any

from interop.fhir.mapping import Mapper
from interop.fhir.models import checked

__all__ = ["issue_type", "operation_outcome"]

# HTTP status (and, where it says more, our error code) -> OperationOutcome.issue.code.
_BY_STATUS = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
              405: "not-supported", 409: "conflict", 412: "duplicate", 413: "too-long",
              415: "not-supported", 422: "invalid", 429: "throttled", 503: "transient"}
_BY_CODE = {"slot_full": "business-rule", "slot_closed": "business-rule",
            "invalid_transition": "business-rule", "quota_exceeded": "throttled",
            "idempotency_key_reused": "duplicate", "validation_error": "invalid"}


def issue_type(status: int, code: str | None) -> str:
    return _BY_CODE.get(code or "", _BY_STATUS.get(status, "exception"))


def operation_outcome(mapper: Mapper, status: int, detail: str, code: str | None,
                      alternatives: list[dict[str, Any]] | None = None,
                      errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    first: dict[str, Any] = {"severity": "error", "code": issue_type(status, code),
                             "diagnostics": detail}
    if code:
        first["details"] = {"coding": [{"system": mapper.error_system, "code": code}],
                            "text": detail}
    issues = [first]
    for error in errors or []:  # one issue per invalid field, where it is
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        issue: dict[str, Any] = {"severity": "error", "code": "invalid",
                                 "diagnostics": str(error.get("msg"))}
        if where:
            issue["expression"] = [where]
        issues.append(issue)
    for slot in alternatives or []:
        places = max(slot["max_capacity"] - slot["current_count"], 0)
        issues.append({
            "severity": "information", "code": "informational",
            "extension": [{"url": mapper.extension_url("alternative-slot"),
                           "valueReference": {"reference": f"Slot/{slot['id']}"}}],
            "diagnostics": f"alternative: Slot/{slot['id']} of Schedule/{slot['doctor_id']}, "
                           f"{mapper.instant(slot['date'], slot['start_time'])}, "
                           f"{places} places free"})
    return checked({"resourceType": "OperationOutcome", "issue": issues})
