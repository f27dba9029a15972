"""Turning an HTTP request into a command, and the allocator's reply into an HTTP answer.

The hot path of the product (`POST /tokens` at 1,000/s), so it does each thing once: the
request body was validated by its route, so the command and its envelope are assembled
from those values without validating them again (`model_construct`); the answer is encoded
by orjson. Measured with services/booking-gateway/bench/path_profile.py (BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import uuid
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

from booking_gateway.admission import Overloaded
from booking_gateway.bus import BrokerUnavailable, CommandBus
from booking_gateway.settings import GatewaySettings
from opd_contracts import CommandEnvelope, ErrorCode, Reply, bounds
from opd_shared.access import Caller
from opd_shared.clock import seconds_until_local_midnight
from opd_shared.http import ApiError
from opd_shared.logging import correlation_id

__all__ = ["FastJSON", "submit"]

log = logging.getLogger(__name__)
_IDEMPOTENCY = uuid.UUID("6f1d8a52-7a4e-4c1e-9f51-0b6c3f2f9a11")
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9/_.~-]*")  # nothing a URL would escape or split on
# The fingerprint's JSON exactly as `json.dumps(body, sort_keys=True)` writes it, which made
# every fingerprint already in an inbox; one encoder for all requests (json.dumps made one a
# request: 2-3 us of a booking's CPU).
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True)
STATUS_OF: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.SLOT_FULL: 409,
    ErrorCode.SLOT_CLOSED: 409,
    ErrorCode.SLOT_OVERLAP: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_REQUEST: 422,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.QUOTA_EXCEEDED: 429,
}


class FastJSON(JSONResponse):
    """A JSON answer encoded by orjson: the same JSON, a fraction of the standard library's
    time (fastapi's ORJSONResponse is deprecated in favour of its own route serializer,
    which these hand-built answers do not pass through)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _identity(request: Request, caller: Caller, command: Any) -> tuple[str, uuid.UUID, str]:
    """A retried request with the same Idempotency-Key becomes the same command id.
    Keys are per caller, so two apps that pick the same key never meet. Without a key one
    is made up, and a 202 hands it back so the client can ask again."""
    body = _FINGERPRINT_JSON.encode(command.model_dump(mode="json"))
    fingerprint = hashlib.sha256(f"{_path_of(request)}\n{body}".encode()).hexdigest()
    key = request.headers.get("Idempotency-Key") or uuid.uuid4().hex
    if len(key) > bounds.IDEMPOTENCY_KEY_MAX:
        raise ApiError(422, ErrorCode.VALIDATION_ERROR,
                       f"Idempotency-Key: at most {bounds.IDEMPOTENCY_KEY_MAX} characters")
    return key, uuid.uuid5(_IDEMPOTENCY, f"{caller.actor}\n{key}"), fingerprint


def _path_of(request: Request) -> str:
    """`request.url.path`, which the fingerprint has always hashed, without building the
    URL (6 us of a booking's CPU): for a path of plain characters, every path the
    gateway's routes match, the URL's path is the request's own; others take the long way."""
    path: str = request.scope["path"]
    if _PLAIN_PATH.fullmatch(path) and not path.startswith("//"):
        return path
    return request.url.path


async def submit(bus: CommandBus, request: Request, caller: Caller, command: Any,
                 settings: GatewaySettings, created: bool = False) -> JSONResponse:
    key, command_id, fingerprint = _identity(request, caller, command)
    request_id = str(command_id)
    correlation_id.set(request_id)
    # Every value here is ours or was validated at the door: assembled, not validated again.
    envelope = CommandEnvelope.model_construct(
        command_id=command_id, issued_at=dt.datetime.now(dt.UTC), fingerprint=fingerprint,
        actor=caller.actor, command=command)
    try:
        reply = await bus.send(envelope, settings.reply_timeout_seconds)
    except BrokerUnavailable as error:
        return FastJSON({"detail": f"{error}; try again shortly",
                             "code": ErrorCode.UNAVAILABLE},
                            status_code=503, headers={"Retry-After": "5"})
    except Overloaded as shed:  # nothing was published: the request may simply come again
        return FastJSON({"detail": str(shed), "code": ErrorCode.UNAVAILABLE},
                            status_code=503, headers={"Retry-After": str(shed.retry_after)})
    if reply is None:
        log.info("%s not decided within %.1f s: 202", command.type, settings.reply_timeout_seconds)
        return FastJSON(
            {"request_id": key, "status": "pending",
             "detail": "queued; repeat the request with this Idempotency-Key for the decision"},
            status_code=202, headers={"Idempotency-Key": key},
        )
    answer = _answer(reply, created, settings.timezone)
    answer.headers["X-Request-ID"] = request_id
    log.debug("%s decided: %d", command.type, answer.status_code)
    return answer


def _answer(reply: Reply, created: bool, timezone: str) -> JSONResponse:
    if reply.ok:
        return FastJSON(reply.result, status_code=201 if created else 200)
    code = reply.code or ErrorCode.INVALID_REQUEST
    body: dict[str, Any] = {"detail": reply.detail, "code": code.value}
    headers: dict[str, str] = {}
    if code is ErrorCode.SLOT_FULL:
        body["alternatives"] = [s.model_dump(mode="json") for s in reply.alternatives]
    elif code is ErrorCode.QUOTA_EXCEEDED:  # the allocator's quotas are per local day
        headers["Retry-After"] = str(seconds_until_local_midnight(timezone))
    return FastJSON(body, status_code=STATUS_OF.get(code, 409), headers=headers)
