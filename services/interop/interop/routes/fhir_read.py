"""FHIR reads: doctors as Practitioner, PractitionerRole and Schedule, slots as Slot,
tokens as Appointment; each from queue-view with the caller's own key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from interop.deps import Auth, MapperDep, UpstreamsDep
from interop.fhir.answers import FhirError, cursor_searchset, fhir_json, searchset
from interop.fhir.capability import capability_statement
from interop.fhir.mapping import ABHA_SYSTEM, TOKEN_STATUS, Mapper
from interop.fhir.search import (
    CURSOR,
    bad_cursor,
    cursor,
    day_filter,
    page,
    reference_id,
    token_param,
)
from interop.upstream import Answer, Upstreams

__all__ = ["router"]

router = APIRouter(prefix="/fhir", tags=["fhir"])
PUBLISHED = dt.date(2026, 12, 6)
_FHIR: dict[str, Any] = {"content": {"application/fhir+json": {}}}


def _ok(answer: Answer) -> Any:
    if not answer.ok:
        raise FhirError.of(answer)
    return answer.body


def _known(request: Request, *names: str, paged_by: str = "_offset") -> None:
    """A parameter we do not support is refused (400), never ignored; `paged_by` is where
    this search continues (`_offset`, or Appointment's `_cursor`)."""
    unknown = set(request.query_params) - {*names, "_count", paged_by, "_format"}
    if unknown:
        raise FhirError(400, f"unsupported search parameters: {', '.join(sorted(unknown))}",
                        "bad_request")


@router.get("/metadata", summary="CapabilityStatement", responses={200: _FHIR})
async def metadata() -> JSONResponse:
    return fhir_json(capability_statement(PUBLISHED))


def _doctor_routes(kind: str, build: Callable[[Mapper], Callable[[dict], dict]]) -> None:
    @router.get(f"/{kind}/{{doctor_id}}", summary=f"A doctor as {kind}",
                name=f"read-{kind}", responses={200: _FHIR})
    async def read(doctor_id: int, auth: Auth, upstreams: UpstreamsDep,
                   mapper: MapperDep) -> JSONResponse:
        return fhir_json(build(mapper)(_ok(await upstreams.doctor(auth, doctor_id))))

    @router.get(f"/{kind}", summary=f"Every doctor as {kind} (searchset)",
                name=f"search-{kind}", responses={200: _FHIR})
    async def search(request: Request, auth: Auth, upstreams: UpstreamsDep,
                     mapper: MapperDep) -> JSONResponse:
        _known(request)
        paging = page(request.query_params.get("_count"), request.query_params.get("_offset"))
        answer, doctors = await upstreams.doctors(auth)
        _ok(answer)
        shown = doctors[paging.offset:paging.offset + paging.count]
        return fhir_json(searchset(request, [build(mapper)(d) for d in shown], paging.count,
                                   paging.offset, len(doctors) > paging.offset + paging.count))


_doctor_routes("Practitioner", lambda m: m.practitioner)
_doctor_routes("PractitionerRole", lambda m: m.practitioner_role)
_doctor_routes("Schedule", lambda m: m.schedule)


@router.get("/Slot/{slot_id}", summary="A slot as Slot", responses={200: _FHIR})
async def read_slot(slot_id: int, auth: Auth, upstreams: UpstreamsDep,
                    mapper: MapperDep) -> JSONResponse:
    return fhir_json(mapper.slot(_ok(await upstreams.slot(auth, slot_id))))


@router.get("/Slot", summary="Slots: schedule, start, status, _count", responses={200: _FHIR})
async def search_slots(request: Request, auth: Auth, upstreams: UpstreamsDep,
                       mapper: MapperDep) -> JSONResponse:
    _known(request, "schedule", "start", "status")
    query = request.query_params
    paging = page(query.get("_count"), query.get("_offset"))
    doctor_id = reference_id("schedule", query.get("schedule"), "Schedule")
    days = day_filter("start", query.getlist("start"))
    exact = next((d.exact for d in days if d.exact), None)
    if doctor_id is None and exact is None:
        raise FhirError(400, "search Slot by schedule, or by one day (start=YYYY-MM-DD)",
                        "bad_request")
    answer, slots = await upstreams.slots(auth, doctor_id, exact)
    _ok(answer)
    wanted = query.get("status")
    found = [s for s in slots if all(d.matches(dt.date.fromisoformat(s["date"])) for d in days)
             and (wanted is None or mapper.slot_status(s) == wanted)]
    shown = found[paging.offset:paging.offset + paging.count]
    return fhir_json(searchset(request, [mapper.slot(s) for s in shown], paging.count,
                               paging.offset, len(found) > paging.offset + paging.count))


async def appointment_of(upstreams: Upstreams, auth: str, mapper: Mapper,
                         token: dict[str, Any]) -> dict[str, Any]:
    """The token as an Appointment, with its slot's times when queue-view has the slot."""
    slot = await upstreams.slot(auth, token["slot_id"])
    return mapper.appointment(token, slot.body if slot.ok else None)


@router.get("/Appointment/{token_id}", summary="A token as Appointment", responses={200: _FHIR})
async def read_appointment(token_id: int, auth: Auth, upstreams: UpstreamsDep,
                           mapper: MapperDep) -> JSONResponse:
    token = _ok(await upstreams.token(auth, token_id))
    return fhir_json(await appointment_of(upstreams, auth, mapper, token))


@router.get("/Appointment", summary="Tokens: date, practitioner, status, identifier, _count",
            responses={200: _FHIR})
async def search_appointments(request: Request, auth: Auth, upstreams: UpstreamsDep,
                              mapper: MapperDep) -> JSONResponse:
    _known(request, "date", "practitioner", "status", "identifier", paged_by=CURSOR)
    query = request.query_params
    count, after = page(query.get("_count"), None).count, cursor(query.get(CURSOR))
    identifier = token_param(query.get("identifier"))
    days = day_filter("date", query.getlist("date"))
    status = query.get("status")
    if status is not None and status not in TOKEN_STATUS:
        raise FhirError(400, f"search parameter status: one of {', '.join(TOKEN_STATUS)}",
                        "bad_request")
    token_status = TOKEN_STATUS.get(status) if status else None
    doctor_id = reference_id("practitioner", query.get("practitioner"), "Practitioner")
    if identifier and identifier[0] != ABHA_SYSTEM:  # a token number: one token at most
        if identifier[0] not in (None, mapper.token_number_system):
            raise FhirError(400, "search parameter identifier: the token number's system is "
                            f"{mapper.token_number_system}; the ABHA number's {ABHA_SYSTEM}",
                            "bad_request")
        answer = await upstreams.token_by_number(auth, identifier[1])
        tokens = [answer.body] if answer.ok else []
        if not answer.ok and answer.status != 404:
            raise FhirError.of(answer)
        tokens = [t for t in tokens if (doctor_id is None or t["doctor_id"] == doctor_id)
                  and (token_status is None or t["status"] == token_status)]
        shown = [await appointment_of(upstreams, auth, mapper, t) for t in tokens]
        return fhir_json(cursor_searchset(request, shown, count, None, None))
    exact = [d.exact for d in days if d.exact]
    if len(exact) != 1 or len(days) != 1:
        raise FhirError(400, "search Appointment by one day (date=YYYY-MM-DD), or by "
                        "identifier (the token number)", "bad_request")
    answer = await upstreams.day_tokens(
        auth, exact[0], doctor_id=doctor_id, status=token_status,
        abha_number=identifier[1] if identifier else None, limit=count, cursor=after)
    if answer.status == 400 and after is not None:  # queue-view did not give that cursor out
        raise bad_cursor()
    tokens = _ok(answer)
    slots_answer, slots = await upstreams.slots(auth, doctor_id, exact[0])
    by_id = {s["id"]: s for s in slots} if slots_answer.ok else {}
    shown = [mapper.appointment(t, by_id.get(t["slot_id"])) for t in tokens]
    return fhir_json(cursor_searchset(request, shown, count, after, answer.next_cursor))
