from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ServiceSettings

__all__ = ["GatewaySettings"]


class GatewaySettings(ServiceSettings):
    service: ClassVar[str] = "booking_gateway"

    reply_timeout_seconds: float = Field(
        5.0, gt=0, description="How long a request waits for the allocator before answering 202"
    )
    # 0.15, not the 250 ms a booking may take: the rule keeps about nine decisions in ten
    # within the budget, as the gateway times them; the time before the gateway reads a
    # request and the broker's spells take the rest. At 2,000/s offered, after a 1,000/s
    # run, decided p99 204 and 206 ms with 0.15 against 350 and 337 with 0.25, as many
    # decided (1,842 and 1,841/s against 1,860 and 1,938; BENCHMARKS.md, thirteenth session).
    admission_wait_budget_seconds: float = Field(
        0.15, gt=0, description="Decisions slower than this shrink how many requests may "
                                "wait at once; past that limit a write gets 503 and "
                                "Retry-After at once")
    admission_max_in_flight: int = Field(
        1000, ge=1, description="At most this many requests of this process wait for a "
                                "decision at once, however quick the decisions")
