"""The door: a write that admission would refuse is refused before anything is spent on it.

Refused at the route, a request costs what an admitted one costs up to the bus: HTTP, the
middleware, the key check and validation, about 1 ms of CPU (BENCHMARKS.md). Under overload
refusals are most of what arrives, and at 1,000/s offered they took the CPU the admitted
requests needed: requests went unanswered. Here a refusal costs one comparison once uvicorn
has parsed the request. The route's own admission stays the rule (places are taken there);
the door only answers early what the route would answer too. Reads never reach admission.

The door is the app's outermost layer (`outermost`): a refusal passes none of the layers
FastAPI and the service put around every request (the server-error, telemetry and
body-limit layers, the security headers), and is sent as those layers would have sent it,
the security headers added once when the answer is made and kept with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.responses import JSONResponse

from booking_gateway.admission import Overloaded
from opd_contracts.vocabulary import ErrorCode
from opd_shared.middleware import SecurityHeaders
from opd_shared.problems import PROBLEM_JSON, problem

__all__ = ["Door", "outermost"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # every one is a command


Layer = Callable[[Any], Any]  # an ASGI layer around the app given


class Door:
    """`dressed`: the layers the answer would have passed on its way out (none: the door is
    where those layers are not, or they add nothing)."""

    def __init__(self, app: Any, dressed: Layer | None = None) -> None:
        self.app, self.dressed = app, dressed

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in WRITES:
            runtime = getattr(scope["app"].state, "runtime", None)  # None before the lifespan
            if runtime is not None and runtime.bus.admission.refuses():
                await _refuse(runtime.bus.admission.retry_after, scope, send, self.dressed)
                return
        await self.app(scope, receive, send)


def outermost(app: FastAPI) -> None:
    """Puts the door around the whole of `app` (FastAPI's layers and the service's), its
    answers dressed with the security headers as the app's own layer adds them (the one
    layer outside the door before that changes an answer).

    Why: at 1,000 bookings/s offered 600 a second are refused, and each passed five layers
    outside the door that wrapped its `send` and did nothing for it. Measured against the
    build before, alternated, 3 runs each, load average 6.8-9.6 on 2 cores (medians):
    the app's CPU a refusal 12.8 -> 4.7 us (bench/app_cost.py --mode refuse), the gateway
    process's through uvicorn 58 -> 50 us (bench/door_cost.py --mode refuse)."""
    (headers,) = [layer for layer in app.user_middleware if layer.cls is SecurityHeaders]
    build = app.build_middleware_stack

    def built() -> Any:
        return Door(build(), lambda inner: headers.cls(inner, *headers.args, **headers.kwargs))

    app.build_middleware_stack = built  # type: ignore[method-assign]


ANSWERS_KEPT = 256  # refusals kept encoded, by Retry-After and path (paths are the client's)
_answers: dict[tuple[int, str], tuple[list[tuple[bytes, bytes]], bytes]] = {}


async def _refuse(retry_after: int, scope: dict, send: Any, dressed: Layer | None) -> None:
    """The refusal, encoded once per Retry-After and path and sent as it was made: making
    and encoding it was a third of what the app spent on a refusal. Measured through
    uvicorn with bench/door_cost.py (20,000 refusals, medians of 3 runs alternated with
    the build before, load average 3.4-4.7): 75 -> 62 us of the gateway's CPU each, of
    which the app's own layers 24 -> 16 us (the rest is uvicorn's)."""
    key = (retry_after, scope["path"])
    answer = _answers.get(key)
    if answer is None:
        answer = await _made(retry_after, scope, dressed)
        if len(_answers) < ANSWERS_KEPT:
            _answers[key] = answer
    headers, body = answer
    await send({"type": "http.response.start", "status": 503, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


async def _made(retry_after: int, scope: dict,
                dressed: Layer | None) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The refusal's headers and body, as the layers in `dressed` send it."""
    refusal = problem(503, ErrorCode.UNAVAILABLE, str(Overloaded(retry_after)), scope["path"])
    made: Any = JSONResponse(refusal, status_code=503, media_type=PROBLEM_JSON,
                             headers={"Retry-After": str(retry_after)})
    if dressed is None:
        return made.raw_headers, bytes(made.body)
    sent: list[dict] = []

    async def keep(message: dict) -> None:
        sent.append(message)

    await dressed(made)(scope, None, keep)
    start, body = sent
    return list(start["headers"]), bytes(body["body"])
