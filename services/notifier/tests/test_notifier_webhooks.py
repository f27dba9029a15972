"""The webhook channel on a real HTTP stand-in: signed so the app can verify it, retried
with growing pauses, dead-lettered with its reason after the last try."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json

from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus

from .conftest import SECRET


async def _called(notifier, hall, channel: str):
    slot = hall.slot()
    token = hall.token(slot, channel=channel, status=TokenStatus.CONSULTING)
    await notifier.publish(hall.event(EventType.TOKEN_STATUS_CHANGED, doctor=hall.doctor(),
                                      slots=[slot], tokens=[token]))
    return token


def _verifies(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """What a channel app does: HMAC-SHA256 of "{timestamp}.{body}" with the shared secret."""
    expected = "sha256=" + hmac.new(secret.encode(), headers["x-opd-timestamp"].encode()
                                    + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-opd-signature"])


async def test_the_webhook_is_signed_and_the_signature_verifies_only_for_the_body_sent(
    notifier, hall, standin
) -> None:
    token = await _called(notifier, hall, "web-app")
    await notifier.settled(token.id, lambda n: n and all(s["status"] == "sent"
                                                         for s in n[0]["sends"]))

    [(headers, body, _)] = [c for c in standin.to("/hook")
                            if f'"token_id":{token.id},'.encode() in c[1]]
    payload = json.loads(body)
    assert _verifies(headers, body, SECRET)
    assert not _verifies(headers, body.replace(b"called", b"cancel"), SECRET)
    assert not _verifies(headers, body, "another-secret")
    assert payload["kind"] == "called" and payload["room"] == "12"
    assert payload["link"] == f"https://opd.example.org/t/{token.ticket}"
    assert token.patient_name not in body.decode() and "98450" not in body.decode()


async def test_a_failing_webhook_is_retried_with_backoff_then_dead_with_its_reason(
    notifier, hall, standin
) -> None:
    token = await _called(notifier, hall, "broken-app")

    found = await notifier.settled(token.id, lambda n: n and any(
        s["status"] == "dead" for s in n[0]["sends"]))

    [webhook] = [s for s in found[0]["sends"] if s["channel"] == "webhook"]
    tries = [when for _, body, when in standin.to("/fail")
             if f'"token_id":{token.id},'.encode() in body]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert (webhook["status"], webhook["tries"]) == ("dead", 3)
    assert webhook["last_error"] == "HTTP 500 from the channel's webhook"
    # Base 0.2 s, doubling, counted from each attempt's start (so a little of the request's
    # own time comes off the gap the stand-in sees).
    assert len(tries) == 3 and gaps[0] >= 0.15 and gaps[1] >= 0.35 and gaps[1] > gaps[0]
    assert [s["status"] for s in found[0]["sends"] if s["channel"] == "sms"] == ["sent"]


async def test_sms_goes_through_msg91_s_flow_api_with_the_template_and_the_number(
    notifier, hall, standin
) -> None:
    before = len(standin.to("/msg91"))
    token = await _called(notifier, hall, None)  # no channel app: SMS only

    found = await notifier.settled(token.id, lambda n: n and n[0]["sends"]
                                   and n[0]["sends"][0]["status"] == "sent")

    [(headers, body, _)] = standin.to("/msg91")[before:]
    request = json.loads(body)
    assert [s["channel"] for s in found[0]["sends"]] == ["sms"]
    assert headers["authkey"] == "test-authkey" and request["template_id"] == "tmpl-1"
    assert request["recipients"][0]["mobiles"] == "9198450" + token.patient_phone[-5:]
    assert request["recipients"][0]["room"] == "12"
