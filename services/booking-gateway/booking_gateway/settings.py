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
