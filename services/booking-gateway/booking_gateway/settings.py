from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ServiceSettings, cpu_niceness_field

__all__ = ["GatewaySettings"]


class GatewaySettings(ServiceSettings):
    service: ClassVar[str] = "booking_gateway"

    # 6: on a busy shared machine the allocator, the broker and the database finish the
    # bookings already inside before the gateway takes in more. A round the allocator is
    # slow to finish is every one of its bookings' wait, and makes the next round's batch
    # larger; the gateway's share of a booking is its own request's. Rotated at 1,000/s
    # offered (BENCHMARKS.md, sixteenth session), medians of 12, 12 and 8 runs at nice 0,
    # 3 and 6: p99 166, 152 and 147 ms, the system's CPU a booking 1,692, 1,666 and 1,647
    # us, the read models' visibility p99 334, 242 and 191 ms; at 2,000/s the decided p99
    # kept within its 250 ms.
    cpu_niceness: int = cpu_niceness_field(6)

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
