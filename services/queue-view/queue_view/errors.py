"""Errors the HTTP layer turns into 4xx bodies of the shape `{detail, code}`."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

__all__ = ["NotFoundError", "not_found_handler"]


class NotFoundError(Exception):
    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} not found")
        self.detail = f"{kind} {key} not found"


async def not_found_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, NotFoundError)
    return JSONResponse({"detail": error.detail, "code": "not_found"}, status_code=404)
