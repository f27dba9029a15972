"""The notifier's settings: the rules' thresholds, quiet hours, and the two channels.

The only place this service reads the environment (through pydantic-settings).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field, SecretStr

from opd_shared.settings import ReadModelSettings

__all__ = ["NotifierSettings"]


class NotifierSettings(ReadModelSettings):
    service: ClassVar[str] = "notifier"

    notify_ahead: int = Field(3, ge=0, le=100, description="'Your turn is near' once this "
                              "many patients or fewer are ahead (the one consulting counts)")
    notify_minutes: int = Field(15, ge=0, le=240, description="... or once the estimated wait "
                                "is this many minutes or less; either only once the slot "
                                "starts within this many minutes")
    quiet_start: dt.time | None = Field(None, description="Nothing is sent from this local "
                                        "time (HH:MM) ... ; unset: no quiet hours")
    quiet_end: dt.time | None = Field(None, description="... until this one; held messages "
                                      "go out then")
    webhooks: dict[str, str] = Field(
        {}, description='Per booking channel, the URL its app takes notifications at, as '
                        'JSON: {"web-app": "https://app.example/opd-hook"}')
    webhook_secret: SecretStr = Field(
        SecretStr(""), description="HMAC-SHA256 key of the X-OPD-Signature header; the "
                                   "channel app verifies with it")
    webhook_timeout_seconds: float = Field(5, gt=0, le=60, description="Per attempt")
    max_tries: int = Field(5, ge=1, le=20, description="Attempts per send before it is "
                           "dead-lettered with the last failure as its reason")
    retry_base_seconds: float = Field(2, gt=0, le=3600, description="Backoff: the n-th retry "
                                      "waits base x 2^(n-1) seconds")
    sms_provider: str | None = Field(None, pattern="^msg91$", description="msg91 sends SMS "
                                     "through MSG91's Flow API; unset: no SMS")
    msg91_url: str = Field("https://control.msg91.com/api/v5/flow/",
                           description="MSG91's Flow API endpoint (tests point it at a stand-in)")
    msg91_authkey: SecretStr = Field(SecretStr(""), description="MSG91's authkey header")
    msg91_template_id: str = Field("", description="The DLT-approved MSG91 flow template; "
                                   "its variables: kind, number, room, time, link")
    public_url: str | None = Field(None, description="queue-view's address for patients "
                                   "(https://opd.example.org): messages link {public_url}/t/"
                                   "{ticket}; unset: no link")
    send_poll_seconds: float = Field(0.5, gt=0, le=60, description="How often due sends are "
                                     "looked for")
