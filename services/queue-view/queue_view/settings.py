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
    display_languages: str = Field(
        "en", pattern=r"^[a-z]{2}(,[a-z]{2})?$",
        description="Language of the display and the patient page when the URL gives no "
                    "?lang= (en, hi or ta); two (hi,en) make the display's announcements "
                    "alternate between them")
    public_url: str | None = Field(
        None, description="Where patients' phones reach queue-view (https://opd.example.org): "
                          "the slip's QR code opens {public_url}/t/{ticket}; unset, the "
                          "address the slip was asked at")
