"""Queue-view's settings: the shared ones, consumption, display streams and replays.

The only place this service reads the environment (through pydantic-settings).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import ReadModelSettings

__all__ = ["QueueViewSettings"]


class QueueViewSettings(ReadModelSettings):
    service: ClassVar[str] = "queue_view"

    allocator_url: str = Field(
        "http://127.0.0.1:8003", description="Allocator's private port, for history replays"
    )
    stream_poll_seconds: float = Field(
        0.25, gt=0, le=5, description="How often each process looks for applied events"
    )
    stream_ping_seconds: float = Field(
        15, gt=0, description="Keep-alive comment on idle display streams"
    )
