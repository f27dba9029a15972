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

__all__ = ["FhirError", "fhir_json", "refusal", "searchset"]


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
    """One page of a search: `self`, and `next`/`previous` where there are such pages,
    each the same search with another `_offset`."""
    base = str(request.url.remove_query_params(["_offset", "_count"])).split("?")[0]
    kept = [(k, v) for k, v in request.query_params.multi_items()
            if k not in ("_offset", "_count")]

    def page(at: int) -> str:
        return f"{base}?{urlencode([*kept, ('_count', count), ('_offset', at)])}"

    links = [{"relation": "self", "url": page(offset)}]
    if more:
        links.append({"relation": "next", "url": page(offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": page(max(offset - count, 0))})
    base_url = str(request.base_url).rstrip("/") + "/fhir"
    return checked({
        "resourceType": "Bundle", "type": "searchset", "link": links,
        "entry": [{"fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}", "resource": r,
                   "search": {"mode": "match"}} for r in resources]})
