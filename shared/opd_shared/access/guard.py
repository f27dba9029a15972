"""The FastAPI side of access: who is calling (401), may they (403), not too often (429).

A client address that keeps sending bad keys is refused before its keys are looked up
(429), and a keys' database that does not answer is 503 within `OPD_ACCESS_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPBearer
from fastapi.security.base import SecurityBase

from opd_contracts.vocabulary import ErrorCode, Source
from opd_shared.access.counting import Counters
from opd_shared.access.policy import AccessPolicy
from opd_shared.access.roles import CHANNEL_ROLES, Permission, Role, may_book, permits
from opd_shared.access.store import KeyRecord, KeyStore, KeyStoreUnavailable
from opd_shared.http import ApiError
from opd_shared.settings import ServiceSettings

__all__ = ["AccessPolicy", "Caller", "Guard", "Requirement", "key_store", "open_guard", "requires"]

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
    daily_bookings: int = 0  # 0: no limit

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
    """One per process; rate limits and quotas are counted per process (README, "Try it")."""

    def __init__(self, store: KeyStore, open_reads: bool = False,
                 policy: AccessPolicy | None = None) -> None:
        self.store = store
        self.open_reads = open_reads
        self.policy = policy or AccessPolicy()
        self.counters = Counters(self.policy.failures_per_minute, self.policy.timezone)

    async def close(self) -> None:
        await self.store.close()

    async def identify(self, request: Request, permission: Permission | None) -> Caller:
        header = request.headers.get("Authorization", "")
        if not header:
            if self.open_reads and permission in _ANONYMOUS_READS:
                return Caller(None, "anonymous", None)
            raise _unauthorized("an API key is required: Authorization: Bearer <key>")
        address = _client_of(request)
        await self.counters.refuse_failing(address)  # before the look-up: that is the cost
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            await self.counters.failed(address)
            raise _unauthorized("use the header Authorization: Bearer <key>")
        record = await self._find(key.strip())
        if record is None:
            await self.counters.failed(address)
            raise _unauthorized("this API key is unknown or revoked")
        await self.counters.request(record.id, record.rate_per_minute)
        return Caller(record.id, record.name, record.role, record.channel,
                      self.policy.quota(record))

    async def count_booking(self, caller: Caller, emergency: bool = False) -> None:
        """One booking against the caller's daily quota: 429 `quota_exceeded` past it, with
        Retry-After until the hospital's midnight. Every booking request counts, refused or
        repeated ones too; an emergency neither counts nor is refused. Counted per gateway
        process, like the rate: N processes let a key book N times its quota (README,
        "Try it")."""
        if caller.key_id is not None and caller.daily_bookings and not emergency:
            await self.counters.booking(caller.key_id, caller.daily_bookings)

    async def still_admitted(self, request: Request) -> bool:
        """Whether the key `request` came with still works (for a response that outlives
        its request, a stream): revoked keys stop within the store's cache time. Not
        counted against the rate limit."""
        _, _, key = request.headers.get("Authorization", "").partition(" ")
        if not key.strip():
            return True  # admitted without a key: open reads, which stay open
        return await self.store.find(key.strip()) is not None

    async def _find(self, key: str) -> KeyRecord | None:
        try:
            return await self.store.find(key)
        except KeyStoreUnavailable as error:
            raise ApiError(503, ErrorCode.UNAVAILABLE,
                           "the API keys cannot be checked just now; try again shortly",
                           headers={"Retry-After": "5"}) from error


def key_store(settings: ServiceSettings) -> KeyStore:
    """The key store as the settings describe it (call `prepare()` before use)."""
    admin = settings.admin_key.get_secret_value() if settings.admin_key else None
    return KeyStore(settings.access_database_url, admin, cache_entries=settings.key_cache_entries,
                    timeout_s=settings.access_timeout_seconds)


async def open_guard(settings: ServiceSettings) -> Guard:
    """The guard a service builds in its lifespan (close it with `await guard.close()`)."""
    store = key_store(settings)
    await store.prepare()
    return Guard(store, settings.open_reads, AccessPolicy.of(settings))


def _client_of(request: Request) -> str:
    """Who failed: the peer's address, or for IPv6 its /64, which one machine commonly holds
    whole (and could otherwise take a fresh address for every few guesses)."""
    # The scope's pair, not `request.client`: that builds an Address each time it is read,
    # twice here (1.9 us, not 0.15; timeit, 2026-12-06).
    peer = request.scope.get("client")
    host = peer[0] if peer else "unknown"
    if ":" not in host:  # IPv4 (or no address at all): no parsing needed
        return host
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).version == 6:
            return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return host


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, ErrorCode.UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


# For the OpenAPI document: it declares the bearer scheme on every route that asks for a
# key, so /docs has an Authorize button. The guard reads the header itself (its refusals
# are ours, counted against the client's failures).
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="API key",
                    description="`Authorization: Bearer <key>`: a key made with `python -m "
                                "opd_shared.access create`, or OPD_ADMIN_KEY")


class Requirement(SecurityBase):
    """The key check as one dependency that is also the bearer scheme FastAPI documents:
    a scheme nested under the check instead made FastAPI solve two dependencies on every
    guarded request, the scheme's only to be thrown away (the same OpenAPI documents)."""

    def __init__(self, permission: Permission | None) -> None:
        self.model, self.scheme_name = BEARER.model, BEARER.scheme_name
        self.permission = permission

    async def __call__(self, request: Request) -> Caller:
        guard: Guard = request.app.state.guard
        who = await guard.identify(request, self.permission)
        if self.permission is not None and not who.can(self.permission):
            raise ApiError(403, ErrorCode.FORBIDDEN,
                           f"a {who.role or 'anonymous'} key may not do this "
                           f"({self.permission})")
        return who


def requires(permission: Permission | None = None) -> Any:
    """A dependency that answers 401/403/429, or yields the caller."""
    return Security(Requirement(permission))
