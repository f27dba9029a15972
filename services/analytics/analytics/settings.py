"""Analytics' settings: the shared ones plus what only this service tunes."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ReadModelSettings

__all__ = ["AnalyticsSettings"]


class AnalyticsSettings(ReadModelSettings):
    service: ClassVar[str] = "analytics"

    http_port: int = Field(8002, description="Unused: uvicorn's --port decides (deploy/Procfile)")
    readiness_timeout_seconds: float = Field(2.0, gt=0, description="Per check in /readyz")
