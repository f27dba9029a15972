"""Error bodies every service answers with: `{"detail": "<sentence>", "code": "<word>"}`,
and their OpenAPI documentation, so clients (and schemathesis) know every answer's shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from opd_contracts.vocabulary import ErrorCode
from opd_shared.middleware import BodyLimit, DatabaseOutage

__all__ = ["ApiError", "ErrorOut", "ValidationErrorOut", "error_responses",
           "install_error_handlers"]


class ApiError(Exception):
    """An answer other than success, raised from anywhere in a request."""

    def __init__(self, status: int, code: ErrorCode, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


class ErrorOut(BaseModel):
    detail: str = Field(examples=["slot 17 is full (20 places)"])
    code: ErrorCode = Field(examples=["slot_full"])


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


def install_error_handlers(app: FastAPI, max_body_bytes: int = 64 * 1024) -> None:
    """Every refusal in one shape; oversized bodies 413; a database away 503."""
    app.add_middleware(DatabaseOutage)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
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

