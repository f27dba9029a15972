"""The relay's event messages travel deflated (content_encoding deflate) unless told not;
either way a reader gets back the batch the outbox rows make."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

from allocator.adapters.relay import event_messages
from opd_shared.messaging import DEFLATE, body_of


def _rows(count: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=n, routing_key="token.allocated", event_id=str(uuid.uuid4()),
                            body=json.dumps({"event_id": str(n), "tokens": [
                                {"patient_name": f"Patient {n}", "status": "allocated"}]}),
                            traceparent=None)
            for n in range(count)]


def test_a_page_of_events_leaves_deflated_and_reads_back_as_its_rows() -> None:
    rows = _rows(30)

    [(routing_key, message)] = event_messages(rows)

    assert routing_key == "token.allocated" and message.content_encoding == DEFLATE
    assert json.loads(body_of(message)) == {
        "version": 2, "events": [json.loads(row.body) for row in rows]}
    assert len(message.body) * 4 < len(body_of(message))


def test_told_not_to_deflate_the_relay_sends_the_plain_batch() -> None:
    rows = _rows(3)

    [(_, message)] = event_messages(rows, deflate=False)

    assert message.content_encoding is None
    assert json.loads(message.body) == {"version": 2, "events": [json.loads(r.body) for r in rows]}
