"""Error bodies every service answers with: `{"detail": "<sentence>", "code": "<word>"}`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["ApiError", "install_error_handlers"]


class ApiError(Exception):
    """An answer other than success, raised from anywhere in a request."""

    def __init__(self, status: int, code: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def _sentence(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        detail = "; ".join(_sentence(e) for e in errors[:5]) or "invalid request"
        fields = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]
        return JSONResponse({"detail": detail, "code": "validation_error", "errors": fields},
                            status_code=422)

    @app.exception_handler(ApiError)
    async def refused(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"detail": error.detail, "code": error.code},
                            status_code=error.status, headers=error.headers)
