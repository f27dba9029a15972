"""Every HTTP operation the client calls, in one table: the client builds each request from
its row, and a test checks each row against the services' OpenAPI documents (the same
method, path, query parameters, headers and body), so the client cannot drift from the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["OPERATIONS", "Operation"]

Service = Literal["gateway", "queue_view"]


@dataclass(frozen=True)
class Operation:
    service: Service
    method: str
    path: str  # as the OpenAPI document writes it, `{name}` for path parameters
    query: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    body: bool = False


_WRITE = ("Idempotency-Key",)
_PAGE = ("cursor", "limit")

OPERATIONS: dict[str, Operation] = {
    "register_doctor": Operation("gateway", "POST", "/api/v1/doctors", headers=_WRITE,
                                 body=True),
    "open_slot": Operation("gateway", "POST", "/api/v1/slots", headers=_WRITE, body=True),
    "book": Operation("gateway", "POST", "/api/v1/tokens", query=("emergency",),
                      headers=_WRITE, body=True),
    "cancel": Operation("gateway", "POST", "/api/v1/tokens/{token_id}/cancel",
                        query=("reason",), headers=_WRITE),
    "token": Operation("queue_view", "GET", "/api/v1/tokens/{token_id}"),
    "doctors": Operation("queue_view", "GET", "/api/v1/doctors", query=_PAGE),
    "slots": Operation("queue_view", "GET", "/api/v1/slots",
                       query=("doctor_id", "date", *_PAGE)),
    "queue": Operation("queue_view", "GET", "/api/v1/slots/{slot_id}/queue", query=_PAGE),
}
