"""The ways a patient is told, behind one interface (`Channel.send`), and their failures.

- `Webhook`: a JSON POST to the booking channel's app (the app that booked the token
  knows its patient and how to reach them), signed with HMAC-SHA256 over the timestamp and
  the body, so the app can verify the sender and refuse replays. `X-OPD-Delivery` names the
  send: a send whose success was not recorded (a crash between the two) is sent again, and
  the app drops the repeat by that id.
- `Msg91Sms`: SMS through MSG91's Flow API (India's DLT rules require approved templates,
  which the Flow API fills with variables). One provider, configured by env; another is one
  more class with the same `send`.

A failure raises `SendFailed` with a reason that is recorded and, after the last try, is
the dead-lettered send's reason. Reasons never carry the phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

__all__ = ["Channel", "Msg91Sms", "Outgoing", "SendFailed", "Webhook", "signature"]


class SendFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:500]


@dataclass(frozen=True)
class Outgoing:
    send_id: int
    notification_id: int
    kind: str
    token_id: int
    token_number: str
    text: str
    details: dict[str, Any]
    app: str | None  # the booking channel
    phone: str | None


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> None: ...


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `{timestamp}.{body}`: what X-OPD-Signature carries."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def _post(client: httpx.AsyncClient, url: str, **request: Any) -> httpx.Response:
    try:
        return await client.post(url, **request)
    except httpx.HTTPError as error:
        raise SendFailed(f"{type(error).__name__}: {error}") from error


class Webhook:
    name = "webhook"

    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str], secret: bytes) -> None:
        self.client, self.urls, self.secret = client, urls, secret

    def reaches(self, app: str | None) -> bool:
        return app is not None and app in self.urls

    async def send(self, message: Outgoing) -> None:
        if not self.reaches(message.app):
            raise SendFailed(f"no webhook configured for channel {message.app!r}")
        body = json.dumps({
            "id": message.notification_id, "kind": message.kind, "token_id": message.token_id,
            "token_number": message.token_number, "text": message.text, **message.details,
        }, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        answer = await _post(self.client, self.urls[str(message.app)], content=body, headers={
            "content-type": "application/json", "x-opd-timestamp": stamp,
            "x-opd-signature": signature(self.secret, stamp, body),
            "x-opd-delivery": str(message.send_id)})
        if not answer.is_success:
            raise SendFailed(f"HTTP {answer.status_code} from the channel's webhook")


def _mobile(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return "91" + digits if len(digits) == 10 else digits  # MSG91 wants the country code


class Msg91Sms:
    name = "sms"

    def __init__(self, client: httpx.AsyncClient, url: str, authkey: str,
                 template_id: str) -> None:
        self.client, self.url, self.authkey, self.template_id = client, url, authkey, template_id

    async def send(self, message: Outgoing) -> None:
        if not message.phone:
            raise SendFailed("the token has no phone number")
        details = message.details
        recipient = {"mobiles": _mobile(message.phone), "kind": message.kind,
                     "number": details.get("number", ""), "room": details.get("room") or "",
                     "time": details.get("time") or "", "link": details.get("link") or ""}
        answer = await _post(self.client, self.url, json={
            "template_id": self.template_id, "short_url": "0", "recipients": [recipient]},
            headers={"authkey": self.authkey, "accept": "application/json"})
        try:
            result = answer.json()
        except ValueError:
            result = {}
        if not answer.is_success or result.get("type") != "success":
            raise SendFailed(f"MSG91 answered HTTP {answer.status_code}: "
                             f"{str(result.get('message', ''))[:200]}")
