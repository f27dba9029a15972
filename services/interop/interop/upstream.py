"""The product's own public APIs, as interop calls them: writes to the booking gateway,
reads from queue-view, each with the caller's own key passed through.

Interop is a channel, not a second door: the gateway decides every booking (the same
command path, idempotency and access rules as any app), and queue-view answers every read
(the same object-level rules and hidden fields). Each call is one small function, so a
change of a list's shape upstream (paging, say) is adapted here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["Answer", "Upstreams"]


@dataclass(frozen=True)
class Answer:
    """What an upstream answered: its status and JSON body (error bodies included)."""

    status: int
    body: Any
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _items(body: Any) -> list[dict[str, Any]]:
    """A list answer's records, whether the list is bare or wrapped in a page object."""
    if isinstance(body, dict):
        return list(body.get("items") or body.get("data") or [])
    return list(body or [])


@dataclass(frozen=True)
class Upstreams:
    gateway: httpx.AsyncClient
    queue_view: httpx.AsyncClient

    async def close(self) -> None:
        await self.gateway.aclose()
        await self.queue_view.aclose()

    # Writes: the gateway's v1 API (docs/API.md).
    async def book(self, auth: str, body: dict[str, Any], idempotency_key: str | None,
                   emergency: bool = False) -> Answer:
        headers = {"Authorization": auth}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return await self._call(self.gateway, "POST", "/api/v1/tokens", headers, json=body,
                                params={"emergency": "true"} if emergency else None)

    async def cancel(self, auth: str, token_id: int, reason: str | None) -> Answer:
        return await self._call(self.gateway, "POST", f"/api/v1/tokens/{token_id}/cancel",
                                {"Authorization": auth},
                                params={"reason": reason} if reason else None)

    async def set_status(self, auth: str, token_id: int, status: str) -> Answer:
        return await self._call(self.gateway, "PATCH", f"/api/v1/tokens/{token_id}/status",
                                {"Authorization": auth}, json={"status": status})

    # Reads: queue-view's v1 API.
    async def doctors(self, auth: str) -> tuple[Answer, list[dict[str, Any]]]:
        answer = await self._read(auth, "/api/v1/doctors")
        return answer, _items(answer.body) if answer.ok else []

    async def doctor(self, auth: str, doctor_id: int) -> Answer:
        return await self._read(auth, f"/api/v1/doctors/{doctor_id}")

    async def slots(self, auth: str, doctor_id: int | None,
                    date: dt.date | None) -> tuple[Answer, list[dict[str, Any]]]:
        params = {k: str(v) for k, v in (("doctor_id", doctor_id), ("date", date)) if v}
        answer = await self._read(auth, "/api/v1/slots", params)
        return answer, _items(answer.body) if answer.ok else []

    async def slot(self, auth: str, slot_id: int) -> Answer:
        return await self._read(auth, f"/api/v1/slots/{slot_id}")

    async def token(self, auth: str, token_id: int) -> Answer:
        return await self._read(auth, f"/api/v1/tokens/{token_id}")

    async def token_by_number(self, auth: str, number: str) -> Answer:
        return await self._read(auth, f"/api/v1/tokens/number/{number}")

    async def day_tokens(self, auth: str, date: dt.date, *, doctor_id: int | None,
                         status: str | None, abha_number: str | None, limit: int,
                         offset: int) -> tuple[Answer, list[dict[str, Any]]]:
        params = {"date": date.isoformat(), "limit": str(limit), "offset": str(offset)}
        params |= {k: str(v) for k, v in (("doctor_id", doctor_id), ("status", status),
                                          ("abha_number", abha_number)) if v}
        answer = await self._read(auth, "/api/v1/tokens", params)
        return answer, _items(answer.body) if answer.ok else []

    async def _read(self, auth: str, path: str, params: dict[str, str] | None = None) -> Answer:
        return await self._call(self.queue_view, "GET", path, {"Authorization": auth},
                                params=params)

    @staticmethod
    async def _call(client: httpx.AsyncClient, method: str, path: str,
                    headers: dict[str, str], **options: Any) -> Answer:
        try:
            response = await client.request(method, path, headers=headers, **options)
        except httpx.TransportError as error:  # not reached, or no answer in time
            where = "the booking gateway" if path.startswith("/api/v1/tokens") and \
                method != "GET" else "the product's API"
            return Answer(503, {"detail": f"{where} did not answer ({type(error).__name__}); "
                                          "try again shortly", "code": "unavailable"},
                          httpx.Headers({"Retry-After": "5"}))
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text[:200] or response.reason_phrase,
                    "code": "unavailable" if response.status_code >= 500 else "bad_request"}
        return Answer(response.status_code, body, response.headers)
