"""Analytics' settings: the shared ones plus what only this service tunes."""

from __future__ import annotations

from typing import ClassVar

from opd_shared.settings import ReadModelSettings

__all__ = ["AnalyticsSettings"]


class AnalyticsSettings(ReadModelSettings):
    service: ClassVar[str] = "analytics"

