"""Analytics' settings: the shared ones plus what only this service tunes."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ServiceSettings

__all__ = ["AnalyticsSettings"]


class AnalyticsSettings(ServiceSettings):
    service: ClassVar[str] = "analytics"

    http_port: int = 8002
    prefetch_count: int = Field(
        16, ge=1, le=1000, description="Events handled at once; each holds one DB connection"
    )
    db_retry_max_seconds: float = Field(
        10.0, gt=0, description="Longest pause between tries while the database is unreachable"
    )
    readiness_timeout_seconds: float = Field(2.0, gt=0)
