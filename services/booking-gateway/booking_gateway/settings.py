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
    admission_wait_budget_seconds: float = Field(
        0.25, gt=0, description="Decisions slower than this shrink how many requests may "
                                "wait at once; past that limit a write gets 503 and "
                                "Retry-After at once")
    admission_max_in_flight: int = Field(
        1000, ge=1, description="At most this many requests of this process wait for a "
                                "decision at once, however quick the decisions")
