"""Analytics' settings: the shared ones plus what only this service tunes."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ServiceSettings

__all__ = ["AnalyticsSettings"]


class AnalyticsSettings(ServiceSettings):
    service: ClassVar[str] = "analytics"

    http_port: int = 8002
    batch_max: int = Field(
        200, ge=1, le=1000, description="Most events applied in one transaction (a batch "
                                        "is what waits, up to this; twice as many unacked)"
    )
    batch_window_ms: float = Field(
        20.0, ge=0, le=1000, description="How long a batch waits for more events after its "
                                         "first: a little later on screen, far less CPU"
    )
    db_retry_max_seconds: float = Field(
        10.0, gt=0, description="Longest pause between tries while the database is unreachable"
    )
    readiness_timeout_seconds: float = Field(2.0, gt=0)
