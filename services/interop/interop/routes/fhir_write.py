"""FHIR writes: POST Appointment books a token, PATCH or $cancel changes one; every one
through the booking gateway with the caller's own key (the same command path, idempotency,
quotas and object-level rules as any app)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from interop.deps import Auth, MapperDep, UpstreamsDep
from interop.fhir.answers import FhirError, fhir_json
from interop.fhir.booking import booking_from
from interop.fhir.mapping import TOKEN_STATUS
from interop.fhir.models import checked, parsed
from interop.routes.fhir_read import appointment_of
from interop.upstream import Answer, Upstreams
from opd_contracts import bounds

__all__ = ["router"]

router = APIRouter(prefix="/fhir", tags=["fhir"])
_FHIR: dict[str, Any] = {"content": {"application/fhir+json": {}}}
_IF_NONE_EXIST = "fhir-if-none-exist:"
SLOT_LOOKUP_SECONDS = 2.0


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise FhirError(400, "the body is not JSON", "bad_request") from None


def _validation(error: ValidationError) -> FhirError:
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in error.errors()]
    return FhirError(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                    for e in errors[:5]) or "invalid", "validation_error",
                     errors=errors)


def _idempotency_key(request: Request) -> str | None:
    """Idempotency-Key as on the REST API; else FHIR's conditional create: the same
    If-None-Exist names the same booking, so a repeat answers the first token."""
    key = request.headers.get("Idempotency-Key")
    condition = request.headers.get("If-None-Exist")
    if key is None and condition:
        key = _IF_NONE_EXIST + condition
    if key is not None and not 0 < len(key) <= bounds.IDEMPOTENCY_KEY_MAX:
        raise FhirError(400, f"Idempotency-Key or If-None-Exist: 1 to "
                        f"{bounds.IDEMPOTENCY_KEY_MAX - len(_IF_NONE_EXIST)} characters",
                        "bad_request")
    return key


async def _decided(answer: Answer, upstreams: Upstreams, auth: str, mapper: Any,
                   created: bool = False) -> JSONResponse:
    if answer.status == 202:  # queued, not decided in time: repeat with the key
        key = answer.headers.get("Idempotency-Key", "")
        outcome = checked({"resourceType": "OperationOutcome", "issue": [{
            "severity": "information", "code": "informational",
            "diagnostics": f"{answer.body.get('detail', 'queued')} Repeat the request with "
                           f"Idempotency-Key: {key}"}]})
        return fhir_json(outcome, 202, {"Idempotency-Key": key} if key else None)
    if not answer.ok:
        raise FhirError.of(answer)
    appointment = await appointment_of(upstreams, auth, mapper, answer.body)
    headers = {"Location": f"Appointment/{appointment['id']}"} if created else None
    return fhir_json(appointment, 201 if created else 200, headers)


@router.post("/Appointment", status_code=201, summary="Book a token (Appointment)",
             responses={201: _FHIR})
async def create_appointment(request: Request, auth: Auth, upstreams: UpstreamsDep,
                             mapper: MapperDep) -> JSONResponse:
    raw = await _body(request)
    try:
        parsed("Appointment", raw)
    except ValidationError as error:
        raise _validation(error) from None
    except ValueError as error:
        raise FhirError(400, str(error), "bad_request") from None
    booking = booking_from(raw, mapper)
    key = _idempotency_key(request)
    doctor_id = booking.doctor_id
    if doctor_id is None:  # the slot names its doctor
        doctor_id = await _doctor_of_slot(upstreams, auth, booking.slot_id)
    answer = await upstreams.book(auth, {**booking.body, "doctor_id": doctor_id}, key,
                                  emergency=booking.emergency)
    return await _decided(answer, upstreams, auth, mapper, created=True)


async def _doctor_of_slot(upstreams: Upstreams, auth: str, slot_id: int) -> int:
    """The slot's doctor, as queue-view knows it. A slot opened a moment ago may not be
    there yet (its event is normally applied well under a second later), so a 404 is
    asked again for up to SLOT_LOOKUP_SECONDS; a Practitioner participant saves the read."""
    deadline = asyncio.get_running_loop().time() + SLOT_LOOKUP_SECONDS
    while True:
        slot = await upstreams.slot(auth, slot_id)
        if slot.ok:
            return int(slot.body["doctor_id"])
        if slot.status != 404 or asyncio.get_running_loop().time() > deadline:
            raise FhirError.of(slot)
        await asyncio.sleep(0.1)


def _status_of_patch(body: Any) -> tuple[str, str | None]:
    """The new status a JSON Patch (`replace /status`) or merge patch (`{"status"}`) asks
    for, and a cancelation reason if given; anything else is refused."""
    reason = None
    if isinstance(body, list):
        changes = {op.get("path"): op.get("value") for op in body
                   if isinstance(op, dict) and op.get("op") in ("replace", "add")}
        if set(changes) - {"/status", "/cancelationReason"} or "/status" not in changes or \
                len(changes) != len(body):
            raise FhirError(422, "only the status can be patched: [{\"op\": \"replace\", "
                            "\"path\": \"/status\", \"value\": \"cancelled\"}]",
                            "validation_error")
        status, reason = changes["/status"], (changes.get("/cancelationReason") or {})
    elif isinstance(body, dict) and set(body) - {"resourceType", "id", "cancelationReason"} \
            == {"status"}:
        status, reason = body["status"], body.get("cancelationReason") or {}
    else:
        raise FhirError(422, "send a JSON Patch or a merge patch of the status",
                        "validation_error")
    text = reason.get("text") if isinstance(reason, dict) else None
    if status not in TOKEN_STATUS:
        raise FhirError(422, f"status: one of {', '.join(TOKEN_STATUS)}", "validation_error")
    return TOKEN_STATUS[status], text


async def _change(token_id: int, status: str, reason: str | None, auth: str,
                  upstreams: Upstreams, mapper: Any) -> JSONResponse:
    if status == "cancelled":
        answer = await upstreams.cancel(auth, token_id, reason)
    else:
        answer = await upstreams.set_status(auth, token_id, status)
    return await _decided(answer, upstreams, auth, mapper)


@router.patch("/Appointment/{token_id}", summary="Change an Appointment's status "
              "(JSON Patch or merge patch)", responses={200: _FHIR})
async def patch_appointment(token_id: int, request: Request, auth: Auth,
                            upstreams: UpstreamsDep, mapper: MapperDep) -> JSONResponse:
    status, reason = _status_of_patch(await _body(request))
    return await _change(token_id, status, reason, auth, upstreams, mapper)


@router.post("/Appointment/{token_id}/$cancel", summary="Cancel an Appointment",
             responses={200: _FHIR})
async def cancel_appointment(token_id: int, request: Request, auth: Auth,
                             upstreams: UpstreamsDep, mapper: MapperDep) -> JSONResponse:
    """Optional body: a Parameters resource with `reason` (valueString)."""
    body = await _body(request)
    reason = None
    if body is not None:
        try:
            parameters = parsed("Parameters", body)
        except (ValidationError, ValueError) as error:
            raise FhirError(422, f"the body, if any, is a Parameters resource: {error}",
                            "validation_error") from None
        reason = next((p.valueString for p in getattr(parameters, "parameter", None) or []
                       if p.name == "reason"), None)
    return await _change(token_id, "cancelled", reason, auth, upstreams, mapper)
