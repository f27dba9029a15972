"""Deflated bodies: what the relay deflates a reader inflates to the same bytes; any other
body is read as it came; a body marked deflated that will not inflate, or would inflate too
far, is refused as unreadable (so its message is parked, not retried or crashed on)."""

from __future__ import annotations

import zlib

import pytest

from opd_shared.messaging.encoding import (
    DEFLATE,
    INFLATED_MAX,
    BodyNotDeflated,
    BodyTooLarge,
    UnreadableBody,
    body_of,
    deflated,
)

from .broker_fakes import FakeMessage

BATCH = b'{"version": 2, "events": [' + b", ".join(
    b'{"event_id": "%d", "type": "token.allocated", "patient_name": "Asha"}' % n
    for n in range(40)) + b"]}"


def _message(body: bytes, encoding: str | None) -> FakeMessage:
    return FakeMessage(body=body, message_id="m", content_encoding=encoding)


def test_a_deflated_body_inflates_to_the_bytes_that_were_deflated() -> None:
    sent = deflated(BATCH)

    assert len(sent) * 5 < len(BATCH)  # one shape of JSON, many times: it shrinks
    assert body_of(_message(sent, DEFLATE)) == BATCH


@pytest.mark.parametrize("encoding", [None, "utf-8", "identity"])
def test_a_body_not_marked_deflated_is_read_as_it_came(encoding: str | None) -> None:
    assert body_of(_message(BATCH, encoding)) == BATCH


@pytest.mark.parametrize(("body", "refused"), [
    (BATCH, BodyNotDeflated),  # marked deflated, but plain
    (deflated(BATCH)[:-6], BodyNotDeflated),  # cut short
    (deflated(BATCH) + deflated(BATCH), BodyNotDeflated),  # two joined: one would be lost
    (deflated(b" " * (INFLATED_MAX + 1)), BodyTooLarge),  # 4 KB that would take 4 MB
])
def test_a_body_marked_deflated_that_will_not_inflate_whole_is_unreadable(
        body: bytes, refused: type[UnreadableBody]) -> None:
    with pytest.raises(refused) as raised:
        body_of(_message(body, DEFLATE))

    assert isinstance(raised.value, ValueError)  # readers treat it as any unreadable body


def test_a_body_of_exactly_the_most_inflates() -> None:
    largest = b"x" * INFLATED_MAX

    assert body_of(_message(deflated(largest), DEFLATE)) == largest
    assert zlib.decompress(deflated(largest)) == largest  # zlib's own format: any reader's
