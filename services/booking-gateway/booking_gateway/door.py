"""The door: a write that admission would refuse is refused before anything is spent on it.

Refused at the route, a request costs what an admitted one costs up to the bus: HTTP, the
middleware, the key check and validation, about 1 ms of CPU (BENCHMARKS.md). Under overload
refusals are most of what arrives, and at 1,000/s offered they took the CPU the admitted
requests needed: requests went unanswered. Here a refusal costs one comparison once uvicorn
has parsed the request. The route's own admission stays the rule (places are taken there);
the door only answers early what the route would answer too. Reads never reach admission.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from booking_gateway.admission import Overloaded
from opd_contracts.vocabulary import ErrorCode
from opd_shared.problems import PROBLEM_JSON, problem

__all__ = ["Door"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # every one is a command


class Door:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in WRITES:
            runtime = getattr(scope["app"].state, "runtime", None)  # None before the lifespan
            if runtime is not None and runtime.bus.admission.refuses():
                await _refuse(runtime.bus.admission.retry_after, scope, receive, send)
                return
        await self.app(scope, receive, send)


ANSWERS_KEPT = 256  # refusals kept encoded, by Retry-After and path (paths are the client's)
_answers: dict[tuple[int, str], tuple[list[tuple[bytes, bytes]], bytes]] = {}


async def _refuse(retry_after: int, scope: dict, receive: Any, send: Any) -> None:
    """The refusal, encoded once per Retry-After and path and sent as it was made: making
    and encoding it was a third of what the app spent on a refusal. Measured through
    uvicorn with bench/door_cost.py (20,000 refusals, medians of 3 runs alternated with
    the build before, load average 3.4-4.7): 75 -> 62 us of the gateway's CPU each, of
    which the app's own layers 24 -> 16 us (the rest is uvicorn's)."""
    key = (retry_after, scope["path"])
    answer = _answers.get(key)
    if answer is None:
        refusal = problem(503, ErrorCode.UNAVAILABLE, str(Overloaded(retry_after)),
                          scope["path"])
        made = JSONResponse(refusal, status_code=503, media_type=PROBLEM_JSON,
                            headers={"Retry-After": str(retry_after)})
        answer = (made.raw_headers, bytes(made.body))
        if len(_answers) < ANSWERS_KEPT:
            _answers[key] = answer
    headers, body = answer
    await send({"type": "http.response.start", "status": 503, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})
