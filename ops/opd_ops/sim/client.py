"""The simulation's only door into the system: HTTP with an API key, every write carrying
its own Idempotency-Key, and a tally of what each request finally got.

A 202 (decision not back yet), 429 (over the key's rate) or 503 (broker away) is asked again
with the same key, as `opd_ops.stream` does: the allocator decides each key once, so a
retry can never book twice, and every request ends with one recorded answer.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import Counter
from typing import Any

import httpx

__all__ = ["Api"]

RETRY = {202, 429, 503}
MAX_TRIES = 60


def _endpoint(path: str, params: dict[str, Any] | None) -> str:
    label = re.sub(r"/\d+", "/{id}", path.removeprefix("/api/v1"))
    return label + ("?emergency" if params and params.get("emergency") else "")


def _pause(response: httpx.Response | None) -> float:
    if response is None:
        return 0.5  # the gateway is unreachable for a moment
    if response.status_code == 202:
        return 0.2  # the gateway already waited its reply timeout; the decision is near
    return min(float(response.headers.get("Retry-After", 1)), 5.0)


class Api:
    def __init__(self, gateway: str, queue_view: str, analytics: str, key: str,
                 run_id: str, notifier: str = "http://127.0.0.1:8005") -> None:
        auth = {"Authorization": f"Bearer {key}"}
        self.notifier = httpx.AsyncClient(base_url=notifier, headers=auth, timeout=30)
        self.gateway = httpx.AsyncClient(base_url=gateway, headers=auth, timeout=30)
        self.queue_view = httpx.AsyncClient(base_url=queue_view, headers=auth, timeout=30)
        self.analytics = httpx.AsyncClient(base_url=analytics, headers=auth, timeout=30)
        self.run_id = run_id
        self._keys = itertools.count(1)
        self.tally: Counter[tuple[str, int]] = Counter()  # (endpoint, final status) -> requests
        self.retried: Counter[str] = Counter()  # why requests were asked again
        self.seconds: list[float] = []  # how long each request took to be decided

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   params: dict[str, Any] | None = None) -> httpx.Response:
        key = f"sim-{self.run_id}-{next(self._keys):05d}"
        response, began = None, time.monotonic()
        for _ in range(MAX_TRIES):
            try:
                response = await self.gateway.post(path, json=body, params=params,
                                                   headers={"Idempotency-Key": key})
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code not in RETRY:
                break
            self.retried[str(response.status_code) if response else "no answer"] += 1
            await asyncio.sleep(_pause(response))
        if response is None:
            raise ConnectionError(f"the gateway did not answer POST {path} (key {key})")
        self.tally[_endpoint(path, params), response.status_code] += 1
        self.seconds.append(time.monotonic() - began)
        return response

    async def report(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.analytics.get(f"/api/v1/analytics{path}", params=params)
        response.raise_for_status()
        return response.json()

    async def not_ready(self) -> list[str]:
        """Which services do not answer /readyz: worth saying before a day starts."""
        missing = []
        for name, client in (("booking-gateway", self.gateway), ("queue-view", self.queue_view),
                             ("analytics", self.analytics)):
            try:
                ok = (await client.get("/readyz")).status_code == 200
            except httpx.HTTPError:
                ok = False
            if not ok:
                missing.append(f"{name} at {client.base_url}")
        return missing

    @property
    def pending(self) -> int:
        """Requests still undecided after every retry (their effect is unknown)."""
        return sum(n for (_, status), n in self.tally.items() if status == 202)

    async def close(self) -> None:
        for client in (self.gateway, self.queue_view, self.analytics, self.notifier):
            await client.aclose()

    async def notifications(self) -> dict[str, dict[str, int]] | None:
        """The notifier's counts per kind (and per send status); None when it is not running."""
        try:
            response = await self.notifier.get("/api/v1/notifications/summary")
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        counts: dict[str, dict[str, int]] = response.json()["by_kind"]
        return counts
