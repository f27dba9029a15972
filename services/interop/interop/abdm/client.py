"""Calls from this HIP to the ABDM gateway: a session (client credentials) and on-share.

What runs in production: the tests point the same class at a local stand-in of the
gateway, through the HTTP client they give it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

import httpx

__all__ = ["AbdmGateway"]

log = logging.getLogger(__name__)
SESSION_MARGIN_SECONDS = 60  # a session is renewed this long before it expires
ATTEMPTS = 4  # an on-share is tried this often (1 s, 2 s, 4 s apart) before giving up


class AbdmGateway:
    def __init__(self, client: httpx.AsyncClient, client_id: str | None,
                 client_secret: str | None, cm_id: str) -> None:
        self.client, self.client_id, self.client_secret = client, client_id, client_secret
        self.cm_id = cm_id
        self._session: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        await self.client.aclose()

    async def session_token(self) -> str:
        """`POST /v0.5/sessions {clientId, clientSecret}` -> accessToken, kept until shortly
        before `expiresIn` runs out."""
        async with self._lock:
            if self._session and self._session[1] > time.monotonic():
                return self._session[0]
            if not (self.client_id and self.client_secret):
                raise RuntimeError("OPD_ABDM_CLIENT_ID and OPD_ABDM_CLIENT_SECRET are unset")
            answer = await self.client.post("/v0.5/sessions", json={
                "clientId": self.client_id, "clientSecret": self.client_secret})
            answer.raise_for_status()
            body = answer.json()
            expires = float(body.get("expiresIn") or 600)
            self._session = (body["accessToken"],
                             time.monotonic() + max(expires - SESSION_MARGIN_SECONDS, 1))
            return self._session[0]

    async def on_share(self, body: dict[str, Any]) -> int | None:
        """Deliver one on-share; the gateway's status (202 expected), None if it never
        answered. Retried on transport errors and 5xx; a 401 renews the session once."""
        for attempt in range(ATTEMPTS):
            try:
                token = await self.session_token()
                answer = await self.client.post(
                    "/v1.0/patients/profile/on-share", json=body,
                    headers={"Authorization": f"Bearer {token}", "X-CM-ID": self.cm_id})
                if answer.status_code == 401 and attempt == 0:
                    self._session = None
                    continue
                if answer.status_code < 500:
                    return answer.status_code
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as error:
                log.warning("on-share %s not delivered: %s", body["resp"]["requestId"],
                            type(error).__name__)
            await asyncio.sleep(2**attempt)
        return None


def abdm_timestamp(now: dt.datetime | None = None) -> str:
    """ABDM's timestamps: UTC, milliseconds, a Z."""
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
