"""Error bodies every service answers with, and their OpenAPI documentation, so clients (and
schemathesis) know every answer's shape.

Handlers here say `{"detail": "<sentence>", "code": "<word>", ...}`; the `Refusals`
layer they are installed with turns every such body into RFC 9457 problem details
(`application/problem+json`, opd_shared.problems), and `problem_media_types` says so in
the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from opd_contracts.vocabulary import ErrorCode
from opd_shared.middleware import Refusals
from opd_shared.problems import PROBLEM_JSON, TYPE_BASE

__all__ = ["ApiError", "ErrorOut", "ValidationErrorOut", "error_responses",
           "install_error_handlers", "problem_media_types"]


class ApiError(Exception):
    """An answer other than success, raised from anywhere in a request."""

    def __init__(self, status: int, code: ErrorCode, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


class ErrorOut(BaseModel):
    """RFC 9457 problem details, with `code` as an extension member."""

    type: str = Field(description=f"`{TYPE_BASE}<code>`: names the kind of problem",
                      examples=[f"{TYPE_BASE}slot_full"])
    title: str = Field(description="The code in words, the same for every occurrence",
                       examples=["Slot full"])
    status: int = Field(description="The HTTP status code", examples=[409])
    detail: str = Field(description="This occurrence, in a sentence",
                        examples=["slot 17 is full (20 places)"])
    instance: str | None = Field(None, description="The path the request was for",
                                 examples=["/api/v1/tokens"])
    code: ErrorCode = Field(description="What a client branches on", examples=["slot_full"])


class ValidationErrorOut(ErrorOut):
    errors: list[dict[str, Any]] = Field([], description="Each invalid field and why")


_WHY = {400: "Malformed request", 413: "Request body too large",
        401: "No API key, or an unknown or revoked one",
        403: "The key's role may not do this", 404: "No such record",
        409: "The records' state forbids it", 422: "Invalid input",
        429: "Over the key's rate or daily bookings, or too many bad keys (Retry-After)",
        503: "Broker or database unavailable"}


def error_responses(*statuses: int,
                    models: dict[int, type[BaseModel]] | None = None) -> dict[int | str, Any]:
    """OpenAPI `responses=` for these error statuses; 422 always, with its real shape."""
    shapes = {422: ValidationErrorOut, **(models or {})}
    return {status: {"model": shapes.get(status, ErrorOut), "description": _WHY.get(status, "")}
            for status in sorted({*statuses, 422})}


_CODES = {400: ErrorCode.BAD_REQUEST, 404: ErrorCode.NOT_FOUND,
          405: ErrorCode.METHOD_NOT_ALLOWED, 413: ErrorCode.TOO_LARGE,
          415: ErrorCode.UNSUPPORTED_MEDIA_TYPE}


def _sentence(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def problem_media_types(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as served: every answer documented with a problem's shape
    (ErrorOut or a model extending it) is `application/problem+json`, the type the
    Refusals layer gives it, where FastAPI writes the route's `application/json`;
    FastAPI's own 422 shape, on routes that list no `error_responses`, becomes the one
    really answered. Other answers (/readyz's 503, a probe's) keep their media type."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            for answer in operation.get("responses", {}).values():
                content = answer.get("content", {})
                # Under the route's own media type: application/json, or text/html on a
                # page, whose refusals are problem details all the same.
                media = next(iter(content), "application/json")
                ref = _ref_of(content.get(media, {}))
                if ref == "HTTPValidationError":
                    ref = _component(schemas, ValidationErrorOut)
                    content[media] = {"schema": {"$ref": _REFS + ref}}
                if set(schemas.get(ref, {}).get("properties", {})) >= _PROBLEM_MEMBERS:
                    content[PROBLEM_JSON] = content.pop(media)
    written = json.dumps(document)
    for fastapis in ("HTTPValidationError", "ValidationError"):  # no longer referred to
        if f'"{_REFS}{fastapis}"' not in written:
            schemas.pop(fastapis, None)
    return document


_PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}
_REFS = "#/components/schemas/"


def _ref_of(media: dict[str, Any]) -> str:
    return str(media.get("schema", {}).get("$ref", "")).rsplit("/", 1)[-1]


def _component(schemas: dict[str, Any], model: type[BaseModel]) -> str:
    shape = model.model_json_schema(ref_template=_REFS + "{model}")
    for name, definition in shape.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, shape)
    return model.__name__


def install_error_handlers(app: FastAPI, max_body_bytes: int = 64 * 1024) -> None:
    """Every refusal in one shape; oversized bodies 413; a database away 503: one layer,
    `opd_shared.middleware.Refusals`, which converts its own answers too."""
    app.add_middleware(Refusals, max_bytes=max_body_bytes)
    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def invalid(request: Request,
                      error: RequestValidationError | ValidationError) -> JSONResponse:
        """Also a command built from valid HTTP input that its contract still refuses."""
        errors = error.errors()
        detail = "; ".join(_sentence(e) for e in errors[:5]) or "invalid request"
        fields = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]
        return JSONResponse({"detail": detail, "code": ErrorCode.VALIDATION_ERROR,
                             "errors": fields},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Framework refusals (unparsable JSON, unknown path, wrong method) in our shape."""
        code = _CODES.get(error.status_code, ErrorCode.BAD_REQUEST)
        return JSONResponse({"detail": str(error.detail), "code": code},
                            status_code=error.status_code, headers=error.headers)

    @app.exception_handler(ApiError)
    async def refused(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"detail": error.detail, "code": error.code},
                            status_code=error.status, headers=error.headers)

