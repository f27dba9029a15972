"""FHIR answers: `application/fhir+json` bodies, searchset Bundles with paging links, and
refusals (ours or the product's) as OperationOutcome."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from interop.fhir.mapping import Mapper
from interop.fhir.models import MEDIA_TYPE, checked
from interop.fhir.outcome import operation_outcome
from interop.upstream import Answer

__all__ = ["FhirError", "cursor_searchset", "fhir_json", "refusal", "searchset"]


class FhirError(Exception):
    """A refusal raised anywhere in a FHIR request, answered as an OperationOutcome."""

    def __init__(self, status: int, detail: str, code: str | None = None,
                 alternatives: list[dict[str, Any]] | None = None,
                 errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
        self.alternatives, self.errors, self.headers = alternatives, errors, headers

    @classmethod
    def of(cls, answer: Answer) -> FhirError:
        """The product's refusal, word for word, with its alternatives and Retry-After."""
        body = answer.body if isinstance(answer.body, dict) else {}
        retry = answer.headers.get("Retry-After")
        return cls(answer.status, str(body.get("detail") or "refused"), body.get("code"),
                   body.get("alternatives"), body.get("errors"),
                   {"Retry-After": retry} if retry else None)


def fhir_json(body: dict[str, Any], status: int = 200,
              headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def refusal(mapper: Mapper, error: FhirError) -> JSONResponse:
    outcome = operation_outcome(mapper, error.status, error.detail, error.code,
                                error.alternatives, error.errors)
    return fhir_json(outcome, error.status, error.headers)


def searchset(request: Request, resources: list[dict[str, Any]], count: int, offset: int,
              more: bool) -> dict[str, Any]:
    """One page of a search paged by `_offset`: `self`, and `next`/`previous` where there are
    such pages."""
    return _bundle(request, resources, count, {"_offset": offset},
                   {"_offset": offset + count} if more else None,
                   {"_offset": max(offset - count, 0)} if offset > 0 else None)


def cursor_searchset(request: Request, resources: list[dict[str, Any]], count: int,
                     cursor: str | None, following: str | None) -> dict[str, Any]:
    """One page of a search paged by `_cursor`: `self`, and `next` while there is more (a
    cursor only goes forward, so there is no `previous`; the first page is the search
    without one)."""
    return _bundle(request, resources, count, {"_cursor": cursor} if cursor else {},
                   {"_cursor": following} if following else None, None)


def _bundle(request: Request, resources: list[dict[str, Any]], count: int,
            here: dict[str, Any], following: dict[str, Any] | None,
            before: dict[str, Any] | None) -> dict[str, Any]:
    paging = ("_offset", "_cursor", "_count")
    base = str(request.url.remove_query_params(paging)).split("?")[0]
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in paging]

    def page(at: dict[str, Any]) -> str:
        return f"{base}?{urlencode([*kept, ('_count', count), *at.items()])}"

    links = [{"relation": "self", "url": page(here)}]
    if following is not None:
        links.append({"relation": "next", "url": page(following)})
    if before is not None:
        links.append({"relation": "previous", "url": page(before)})
    base_url = str(request.base_url).rstrip("/") + "/fhir"
    return checked({
        "resourceType": "Bundle", "type": "searchset", "link": links,
        "entry": [{"fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}", "resource": r,
                   "search": {"mode": "match"}} for r in resources]})
