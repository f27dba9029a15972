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

    @property
    def next_cursor(self) -> str | None:
        """The `cursor` of the next page a list answer's `Link: <...>; rel="next"` names
        (docs/API.md, "Pages"); None on the last page."""
        following = httpx.Response(self.status, headers=self.headers).links.get("next")
        return httpx.URL(following["url"]).params.get("cursor") if following else None


WHOLE_PAGE = 1000  # queue-view's largest page: a whole list in as few requests as may be


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
        return await self._every(auth, "/api/v1/doctors", {})

    async def doctor(self, auth: str, doctor_id: int) -> Answer:
        return await self._read(auth, f"/api/v1/doctors/{doctor_id}")

    async def slots(self, auth: str, doctor_id: int | None,
                    date: dt.date | None) -> tuple[Answer, list[dict[str, Any]]]:
        params = {k: str(v) for k, v in (("doctor_id", doctor_id), ("date", date)) if v}
        return await self._every(auth, "/api/v1/slots", params)

    async def slot(self, auth: str, slot_id: int) -> Answer:
        return await self._read(auth, f"/api/v1/slots/{slot_id}")

    async def token(self, auth: str, token_id: int) -> Answer:
        return await self._read(auth, f"/api/v1/tokens/{token_id}")

    async def token_by_number(self, auth: str, number: str) -> Answer:
        return await self._read(auth, f"/api/v1/tokens/number/{number}")

    async def day_tokens(self, auth: str, date: dt.date, *, doctor_id: int | None,
                         status: str | None, abha_number: str | None, limit: int,
                         cursor: str | None) -> Answer:
        """One page of the day's tokens (by id): the body is the page, `next_cursor` where
        the next one starts."""
        params = {"date": date.isoformat(), "limit": str(limit)}
        params |= {k: str(v) for k, v in (("doctor_id", doctor_id), ("status", status),
                                          ("abha_number", abha_number), ("cursor", cursor)) if v}
        return await self._read(auth, "/api/v1/tokens", params)

    async def _every(self, auth: str, path: str,
                     params: dict[str, str]) -> tuple[Answer, list[dict[str, Any]]]:
        """Every item of a list, page after page (interop filters and pages them itself):
        the first refusal ends the walk and is the answer."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = {**params, "limit": str(WHOLE_PAGE)} | ({"cursor": cursor} if cursor else {})
            answer = await self._read(auth, path, page)
            if not answer.ok:
                return answer, []
            items += answer.body
            cursor = answer.next_cursor
            if cursor is None:
                return answer, items

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
