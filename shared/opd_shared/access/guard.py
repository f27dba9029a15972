"""The FastAPI side of access: who is calling (401), may they (403), not too often (429)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from opd_shared.access.roles import CHANNEL_ROLES, Permission, Role, may_book, permits
from opd_shared.access.store import KeyStore
from opd_shared.http import ApiError
from opd_shared.settings import ServiceSettings
from opd_shared.vocabulary import Source

__all__ = ["Caller", "Guard", "open_guard", "requires"]

# With OPD_OPEN_READS, what a caller without a key may read (never names or phones).
_ANONYMOUS_READS = frozenset({Permission.READ_QUEUE, Permission.READ_TOKENS,
                              Permission.READ_ANALYTICS})


@dataclass(frozen=True)
class Caller:
    key_id: int | None
    name: str
    role: Role | None  # None: an anonymous reader on a deployment with open reads
    channel: str | None = None  # the app or desk the key acts for; its bookings carry it

    @property
    def scope(self) -> str | None:
        """The channel whose tokens alone this caller may touch or read; None: every token."""
        return self.channel if self.role in CHANNEL_ROLES else None

    def sees_patient_of(self, token_channel: str | None) -> bool:
        """Names and phones: for the hospital's own roles, and for a channel's own patients."""
        if self.scope is not None:
            return token_channel == self.scope
        return self.can(Permission.READ_PATIENTS)

    def can(self, permission: Permission) -> bool:
        if self.role is None:
            return permission in _ANONYMOUS_READS
        return permits(self.role, permission)

    def may_book(self, source: Source) -> bool:
        return self.role is not None and may_book(self.role, source)

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}:{self.name}" if self.key_id is not None else self.name


class Guard:
    """One per process; rate limits are counted per process (see README, Access)."""

    def __init__(self, store: KeyStore, open_reads: bool = False) -> None:
        self.store = store
        self.open_reads = open_reads
        # Two counters per key, not one entry per request as a moving window keeps: a
        # busy key (a booking channel at 1,000/s) would otherwise cost memory and CPU.
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def close(self) -> None:
        await self.store.close()

    async def identify(self, request: Request, permission: Permission | None) -> Caller:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            if self.open_reads and permission in _ANONYMOUS_READS:
                return Caller(None, "anonymous", None)
            raise _unauthorized("an API key is required: Authorization: Bearer <key>")
        if scheme.lower() != "bearer" or not key.strip():
            raise _unauthorized("use the header Authorization: Bearer <key>")
        record = await self.store.find(key.strip())
        if record is None:
            raise _unauthorized("this API key is unknown or revoked")
        await self._count(record.id, record.rate_per_minute)
        return Caller(record.id, record.name, record.role, record.channel)

    async def still_admitted(self, request: Request) -> bool:
        """Whether the key `request` came with still works (for a response that outlives
        its request, a stream): revoked keys stop within the store's cache time. Not
        counted against the rate limit."""
        _, _, key = request.headers.get("Authorization", "").partition(" ")
        if not key.strip():
            return True  # admitted without a key: open reads, which stay open
        return await self.store.find(key.strip()) is not None

    async def _count(self, key_id: int, per_minute: int) -> None:
        limit = RateLimitItemPerMinute(per_minute)
        if not await self.limiter.hit(limit, str(key_id)):
            stats = await self.limiter.get_window_stats(limit, str(key_id))
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            raise ApiError(429, "rate_limited", f"over {per_minute} requests a minute; slow down",
                           headers={"Retry-After": str(wait)})


async def open_guard(settings: ServiceSettings) -> Guard:
    """The guard a service builds in its lifespan (close it with `await guard.close()`)."""
    admin = settings.admin_key.get_secret_value() if settings.admin_key else None
    store = KeyStore(settings.access_database_url, admin)
    await store.prepare()
    return Guard(store, settings.open_reads)


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def requires(permission: Permission | None = None):  # type: ignore[no-untyped-def]
    """A dependency that answers 401/403/429, or yields the caller."""

    async def caller(request: Request) -> Caller:
        guard: Guard = request.app.state.guard
        who = await guard.identify(request, permission)
        if permission is not None and not who.can(permission):
            raise ApiError(403, "forbidden",
                           f"a {who.role or 'anonymous'} key may not do this ({permission})")
        return who

    return Depends(caller)
