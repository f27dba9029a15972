"""Answers other than success, and what each route documents of them (opd_shared.http):
every refusal is `{detail, code}`; a 422 adds `errors`, one per invalid field. Routes
list them in `responses=`, so the OpenAPI document tells clients (and the property-based
tests) every answer they can get."""

from __future__ import annotations

from typing import Any

from opd_contracts.vocabulary import ErrorCode
from opd_shared.http import ApiError, error_responses

__all__ = ["ADMIN_ERRORS", "NOT_FOUND", "READ_ERRORS", "NotFoundError"]


class NotFoundError(ApiError):
    def __init__(self, kind: str, key: object) -> None:
        super().__init__(404, ErrorCode.NOT_FOUND, f"{kind} {key} not found")


# 401 no key (unless reads are open), 403 a role that may not, 422 odd input, 429 over the
# key's rate, 503 the database away (opd_shared.middleware.Refusals).
READ_ERRORS: dict[int | str, Any] = error_responses(401, 403, 429, 503)
ADMIN_ERRORS = READ_ERRORS  # the same answers; 403 for every role but admin
NOT_FOUND: dict[int | str, Any] = error_responses(404)
