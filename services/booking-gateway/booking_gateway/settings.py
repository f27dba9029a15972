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
    # 0.15: the wait inside the gateway; a client sees HTTP, the event loop and its own
    # network besides. At 2,000/s offered (fourteenth session, after a 1,000/s run): 0.15
    # gave a decided p99 of 229 and 204 ms from the client, 0.2 gave 273 and 283.
    admission_wait_budget_seconds: float = Field(
        0.15, gt=0, description="What 99 decisions in 100 must keep: while more wait longer, "
                                "fewer requests may wait at once; past that limit a write "
                                "gets 503 and Retry-After at once")
    admission_max_in_flight: int = Field(
        1000, ge=1, description="At most this many requests of this process wait for a "
                                "decision at once, however quick the decisions")
