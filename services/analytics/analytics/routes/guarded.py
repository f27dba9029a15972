"""What every route behind the key guard can answer besides success, for the OpenAPI
document: a client (and schemathesis) learns each refusal's status and body from it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from opd_contracts.vocabulary import ErrorCode
from opd_shared.access.guard import requires
from opd_shared.access.roles import Permission
from opd_shared.http import error_responses

__all__ = ["NOT_FOUND", "RecordId", "analytics_router", "not_found"]

# Ids are PostgreSQL bigints: a larger number is a client's mistake (422), not our 500.
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND: dict[int | str, Any] = error_responses(404)


def analytics_router(tag: str) -> APIRouter:
    """Under /analytics, for keys with READ_ANALYTICS: 401, 403, 422, 429 and 503 (the
    database away, answered by the shared middleware) documented."""
    return APIRouter(prefix="/analytics", tags=[tag],
                     responses=error_responses(401, 403, 429, 503),
                     dependencies=[requires(Permission.READ_ANALYTICS)])


def not_found(detail: str) -> JSONResponse:
    """Made a problem-details body by opd_shared.problems, as every refusal."""
    return JSONResponse({"detail": detail, "code": ErrorCode.NOT_FOUND}, status_code=404)
