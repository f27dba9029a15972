"""Interop: HL7 FHIR R4 and ABDM Scan & Share as a channel in front of the same allocator.

`uvicorn interop.main:create_app --factory --port 8004`; nothing is built at import time;
the lifespan runs `bootstrap.start` (opd_shared.app). Under /fhir every refusal, the
guard's 401/403/429 and a malformed request's 422 included, is an OperationOutcome.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from interop import bootstrap
from interop.abdm.errors import AbdmRefusal
from interop.fhir.answers import FhirError, refusal
from interop.fhir.mapping import Mapper
from interop.routes import abdm, fhir_read, fhir_write
from interop.settings import InteropSettings
from interop.upstream import Upstreams
from opd_shared.app import process_settings, service_app
from opd_shared.health import add_health_routes
from opd_shared.http import ApiError

__all__ = ["create_app"]


def create_app(settings: InteropSettings | None = None, upstreams: Upstreams | None = None,
               abdm_client: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or process_settings(InteropSettings)
    start = functools.partial(bootstrap.start, upstreams=upstreams, abdm=abdm_client)
    app = service_app(settings, start, title="OPD interop", version="1.0",
                      description="HL7 FHIR R4 (Practitioner, Schedule, Slot, Appointment) "
                                  "and ABDM Scan & Share, through the same booking gateway.")
    add_health_routes(app)
    for module in (fhir_read, fhir_write, abdm):
        app.include_router(module.router)
    _fhir_refusals(app, Mapper(settings.fhir_system_base, settings.timezone))
    return app


def _fhir_refusals(app: FastAPI, mapper: Mapper) -> None:
    """OperationOutcome under /fhir; the product's usual error body everywhere else."""
    shared_api_error = app.exception_handlers[ApiError]
    shared_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(FhirError)
    async def fhir_error(request: Request, error: FhirError) -> JSONResponse:
        return refusal(mapper, error)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        if request.url.path.startswith("/fhir"):
            return refusal(mapper, FhirError(error.status, error.detail, error.code,
                                             headers=error.headers))
        return await _awaited(shared_api_error(request, error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        if request.url.path.startswith("/fhir"):
            errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")}
                      for e in error.errors()]
            return refusal(mapper, FhirError(400, "; ".join(str(e["msg"]) for e in errors[:5]),
                                             "bad_request", errors=errors))
        return await _awaited(shared_invalid(request, error))

    @app.exception_handler(AbdmRefusal)
    async def abdm_refusal(request: Request, error: AbdmRefusal) -> JSONResponse:
        return JSONResponse({"detail": error.detail, "code": error.code},
                            status_code=error.status, headers=error.headers)


async def _awaited(answer: Response | Awaitable[Response]) -> Response:
    """The shared handlers are async; Starlette types a handler as either."""
    return await answer if inspect.isawaitable(answer) else answer
