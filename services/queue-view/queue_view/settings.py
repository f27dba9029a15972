"""Queue-view's settings: the shared ones plus how much it consumes at once.

The only place this service reads the environment (through pydantic-settings).
"""

from __future__ import annotations

from typing import ClassVar

from opd_shared.settings import ServiceSettings
from pydantic import Field

__all__ = ["QueueViewSettings"]


class QueueViewSettings(ServiceSettings):
    service: ClassVar[str] = "queue_view"

    http_port: int = 8001
    prefetch: int = Field(
        16, ge=1, le=1000, description="Events applied concurrently (unacked at the broker)"
    )
    db_pool_size: int = Field(10, ge=1, description="Database connections per process")
    readiness_timeout_seconds: float = Field(2.0, gt=0, description="Per check in /readyz")
    retry_after_seconds: int = Field(5, ge=1, description="Retry-After when not ready")
