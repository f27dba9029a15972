"""Every refusal as RFC 9457 problem details, converted in one layer at the edge of the app
(`opd_shared.middleware.Refusals`, with a `ProblemConverter` per request).

Why one ASGI layer rather than each handler writing the format: refusals are made in many
places (the exception handlers in `opd_shared.http`, the body limit and the database
outage answered by the same layer, the gateway's mapping of the allocator's replies, each
service's own routes), and all of them already say
`{"detail": <sentence>, "code": <word>, ...}`. This layer adds the RFC's members to any such
body, so no path can be forgotten, and the format is written once:

    {"type": "tag:opd-tokens,2026:problems/slot_full", "title": "Slot full", "status": 409,
     "detail": "slot 17 is full (20 places)", "instance": "/api/v1/tokens",
     "code": "slot_full", "alternatives": [...]}

served as `application/problem+json`. `detail` and `code` keep their meaning, so clients that
read them keep working; `type` names the code (a tag URI: an identifier, not a page to
fetch) and `title` is the code in words, both the same for every occurrence of the code.

What it costs: an answer under 400 passes after one look at its status; an error answer is
held until its body is complete, parsed and written again: 11 µs of CPU for a plain refusal,
31 µs for a `slot_full` with five alternatives (1.2 kB), measured with timeit on
`_as_problem` on the 2-core development machine under load; next to the 150-250 µs a request
costs in the app, and only on refusals.

A body that is not a JSON object with `detail` and `code`, or that has a `status` of its own
(/readyz's `"not_ready"`, a probe's answer, not an API error), passes unchanged. An exception
that escapes the app before it answered becomes a 500 problem here (`internal_error`), and is
raised again so the server still logs it.
"""

from __future__ import annotations

import json
from typing import Any

from opd_contracts.vocabulary import ErrorCode

__all__ = ["PROBLEM_JSON", "TYPE_BASE", "ProblemConverter", "problem", "title_of", "type_of"]

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "tag:opd-tokens,2026:problems/"
_INTERNAL = ("an unexpected error; nothing is known to have changed. Try again "
             "(a write with the same Idempotency-Key)")


def type_of(code: str) -> str:
    return TYPE_BASE + code


def title_of(code: str) -> str:
    """`slot_full` -> "Slot full": fixed for the code, as the RFC asks of a title."""
    return code.replace("_", " ").capitalize()


def problem(status: int, code: str, detail: str, instance: str | None = None,
            **extensions: Any) -> dict[str, Any]:
    """A problem-details body; `extensions` are members of our own (errors, alternatives)."""
    body: dict[str, Any] = {"type": type_of(code), "title": title_of(code), "status": status,
                            "detail": detail}
    if instance is not None:
        body["instance"] = instance
    return {**body, "code": code, **extensions}


def _as_problem(raw: bytes, status: int, instance: str) -> bytes | None:
    """The body rewritten as a problem, or None when it is not one of our error bodies."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not (isinstance(body, dict) and isinstance(body.get("detail"), str)
            and isinstance(body.get("code"), str) and "status" not in body):
        return None
    extensions = {k: v for k, v in body.items() if k not in ("detail", "code")}
    return json.dumps(problem(status, body["code"], body["detail"], instance,
                              **extensions)).encode()


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/json"
    return False


class ProblemConverter:
    """One request's answers on their way out, converted as described above: its `send`
    is the send the app is given. `opd_shared.middleware.Refusals` is the layer that uses
    it, outside every layer that may refuse a request."""

    __slots__ = ("_held", "_out", "_parts", "instance", "started")

    def __init__(self, send: Any, instance: str) -> None:
        self._out = send
        self.instance = instance  # the path as the client asked for it (ASGI: root_path in)
        self.started = False  # whether any answer started
        self._held: dict | None = None
        self._parts: list[bytes] = []

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if message["status"] >= 400 and _is_json(message.get("headers", [])):
                self._held = message
                return
        elif message["type"] == "http.response.body" and self._held is not None:
            self._parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_converted(self._out, self._held, b"".join(self._parts), self.instance)
            return
        await self._out(message)

    async def answer(self, start: dict, body: dict) -> None:
        """An answer of the layer's own (a refusal), converted like the app's."""
        await self.send(start)
        await self.send(body)

    async def failed(self) -> None:
        """The 500 problem for an exception that escaped before any answer started."""
        body = problem(500, ErrorCode.INTERNAL_ERROR, _INTERNAL, self.instance)
        await _send(self._out, 500, json.dumps(body).encode(), [])


async def _send_converted(send: Any, start: dict, raw: bytes, instance: str) -> None:
    converted = _as_problem(raw, start["status"], instance)
    headers = list(start.get("headers", []))
    if converted is None:
        await send(start)
        await send({"type": "http.response.body", "body": raw})
        return
    kept = [(n, v) for n, v in headers if n.lower() not in (b"content-type", b"content-length")]
    await _send(send, start["status"], converted, kept)


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        *headers, (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
