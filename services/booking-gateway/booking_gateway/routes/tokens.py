"""Booking and the token lifecycle.

No `from __future__ import annotations` here: the lifecycle routes are made in a loop, and
FastAPI must see each one's permission, a closure variable, when the function is defined.
"""
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from booking_gateway.answers import BookedOut, answers
from booking_gateway.deps import IDEMPOTENCY_KEY, AnyCaller, Bus, Canceller, Reallocator, Settings
from booking_gateway.hot_route import HotRoute
from booking_gateway.schemas import ReallocateIn, StatusIn, TokenIn
from booking_gateway.submit import submit
from opd_contracts import (
    BookToken,
    CancelToken,
    ChangeTokenStatus,
    ReallocateToken,
    TokenRecord,
    bounds,
)
from opd_contracts.vocabulary import ErrorCode, TokenStatus
from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires
from opd_shared.http import ApiError

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"],
                   dependencies=[IDEMPOTENCY_KEY])
TokenId = Annotated[int, Path(ge=1, le=bounds.ID_MAX)]
# Which permission each status asks for: the desk checks patients in, staff do the rest.
STATUS_PERMISSION = {
    TokenStatus.CHECKED_IN: Permission.CHECK_IN,
    TokenStatus.CANCELLED: Permission.CANCEL,
}


async def book(body: TokenIn, request: Request, caller: AnyCaller,
               emergency: bool = False) -> JSONResponse:
    """An online app books `online` only; emergencies are for the desk and staff."""
    # The hot path: the runtime read here, not through two more dependencies to solve.
    runtime = request.app.state.runtime
    if not caller.may_book(body.source):
        raise ApiError(403, ErrorCode.FORBIDDEN, f"a {caller.role} key may not book {body.source}")
    if emergency and not caller.can(Permission.BOOK_EMERGENCY):
        raise ApiError(403, ErrorCode.FORBIDDEN, f"a {caller.role} key may not book emergencies")
    await request.app.state.guard.count_booking(caller, emergency)  # 429 past a daily quota
    # The body was validated as TokenIn (the same field types), `emergency` as a query
    # flag, the channel when its key was made: assembled, not validated again. Its fields
    # are its `__dict__` (TokenIn forbids extra fields; `dict(body)`, the same items, first
    # asked the model for a `keys` attribute, and pydantic's refusal cost 4-7 us a booking).
    command = BookToken.model_construct(**body.__dict__, emergency=emergency,
                                        channel=caller.channel)
    return await submit(runtime.bus, request, caller, command, runtime.settings, created=True)


# Declared as any route, answered by HotRoute: the same answers for about a third less of
# the gateway's CPU (booking_gateway.hot_route).
BOOKING: dict[str, Any] = {
    "endpoint": book, "methods": ["POST"], "status_code": 201,
    "summary": "Book a token (emergency=true always gets in)", "response_model": None,
    "responses": answers(201, BookedOut), "route_class_override": HotRoute}


def add_booking_route(app: FastAPI) -> None:
    """The booking route, declared on the app itself as `router` would declare it (its
    prefix, tags and `Idempotency-Key` dependency), so the app's router reaches it at once.

    Why: FastAPI routes a request for an included router's route through the router
    (`_IncludedRouter`): the app's router matches it, the included router matches it again
    among its routes, setting and restoring its scope keys each time, before the route
    runs. Declared on the app, the route is matched once, as any Starlette route. The
    OpenAPI document and every answer are the same (tests/test_gateway_booking_route.py).
    Measured in one process, both apps called as uvicorn calls them (a bus that answers at
    once), blocks of 1,000 bookings alternated between the two, load average 3.3-4.2:
    146 -> 134 and 135 -> 125 us of the app's CPU a booking (medians of 11 blocks each);
    through uvicorn (bench/door_cost.py --mode admit, six runs each alternated, load
    2.8-5.0) 316 -> 271 us of the server's CPU at the median, with a wide spread
    (BENCHMARKS.md, ninth session)."""
    app.router.add_api_route(router.prefix, **BOOKING, tags=router.tags,
                             dependencies=router.dependencies)


@router.post("/{token_id}/cancel", summary="Cancel a token; its place is freed once",
             response_model=None, responses=answers(200, TokenRecord))
async def cancel(token_id: TokenId, request: Request, bus: Bus, settings: Settings,
                 caller: Canceller,
                 reason: Annotated[str | None, Query(max_length=bounds.TEXT_MAX)] = None,
                 ) -> JSONResponse:
    command = CancelToken(token_id=token_id, reason=reason, channel_scope=caller.scope)
    return await submit(bus, request, caller, command, settings)


@router.post("/{token_id}/reallocate", summary="Move a waiting token to another slot",
             response_model=None, responses=answers(200, TokenRecord))
async def reallocate(token_id: TokenId, body: ReallocateIn, request: Request, bus: Bus,
                     settings: Settings, caller: Reallocator) -> JSONResponse:
    command = ReallocateToken(token_id=token_id, **body.model_dump(), channel_scope=caller.scope)
    return await submit(bus, request, caller, command, settings)


@router.patch("/{token_id}/status", summary="Set a token's status (v1 clients; same rules)",
              response_model=None, responses=answers(200, TokenRecord))
async def set_status(token_id: TokenId, body: StatusIn, request: Request, bus: Bus,
                     settings: Settings, caller: AnyCaller) -> JSONResponse:
    needed = STATUS_PERMISSION.get(body.status, Permission.LIFECYCLE)
    if not caller.can(needed):
        raise ApiError(403, ErrorCode.FORBIDDEN, f"a {caller.role} key may not set {body.status}")
    command = ChangeTokenStatus(token_id=token_id, status=body.status,
                                channel_scope=caller.scope)
    return await submit(bus, request, caller, command, settings)


def _lifecycle_route(path: str, status: TokenStatus, summary: str) -> None:
    needed = STATUS_PERMISSION.get(status, Permission.LIFECYCLE)

    @router.post(f"/{{token_id}}/{path}", summary=summary, name=path, response_model=None,
                 responses=answers(200, TokenRecord))
    async def move(token_id: TokenId, request: Request, bus: Bus, settings: Settings,
                   caller: Annotated[Caller, requires(needed)]) -> JSONResponse:
        command = ChangeTokenStatus(token_id=token_id, status=status, channel_scope=caller.scope)
        return await submit(bus, request, caller, command, settings)


_lifecycle_route("check-in", TokenStatus.CHECKED_IN, "The patient has arrived (desk)")
_lifecycle_route("start", TokenStatus.CONSULTING, "The consultation starts (staff)")
_lifecycle_route("complete", TokenStatus.COMPLETED, "The consultation is over (staff)")
_lifecycle_route("no-show", TokenStatus.NO_SHOW, "The patient did not come (staff)")
