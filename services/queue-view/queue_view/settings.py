"""Queue-view's settings: the shared ones, consumption, display streams and replays.

The only place this service reads the environment (through pydantic-settings).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ServiceSettings

__all__ = ["QueueViewSettings"]


class QueueViewSettings(ServiceSettings):
    service: ClassVar[str] = "queue_view"

    http_port: int = 8001
    batch_max: int = Field(
        200, ge=1, le=1000, description="Most events applied in one transaction (a batch "
                                        "is what waits, up to this; twice as many unacked)"
    )
    batch_window_ms: float = Field(
        20.0, ge=0, le=1000, description="How long a batch waits for more events after its "
                                         "first: a little later on screen, far less CPU"
    )
    db_pool_size: int = Field(10, ge=1, description="Database connections per process")
    db_retry_max_seconds: float = Field(
        10.0, gt=0, description="Longest pause between tries of an event while the database "
                                "is unavailable (the event waits unacknowledged meanwhile)"
    )
    readiness_timeout_seconds: float = Field(2.0, gt=0, description="Per check in /readyz")
    retry_after_seconds: int = Field(5, ge=1, description="Retry-After when not ready")
    allocator_url: str = Field(
        "http://127.0.0.1:8003", description="Allocator's private port, for history replays"
    )
    stream_poll_seconds: float = Field(
        0.25, gt=0, le=5, description="How often each process looks for applied events"
    )
    stream_ping_seconds: float = Field(
        15, gt=0, description="Keep-alive comment on idle display streams"
    )
