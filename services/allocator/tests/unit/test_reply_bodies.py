"""A reply's JSON (the inbox's row, and each item of the gateways' reply messages) stays byte
for byte what the contract's `Reply` writes when built from the decision's own facts with
its defaults: `decide` gives `alternatives` explicitly (to spare pydantic's copy of the
default), and a keyword misspelt there would be ignored, its field left at its default."""

from __future__ import annotations

import datetime as dt
import json

from allocator.domain.model import snapshot
from opd_contracts import ErrorCode, OpenSlot, Reply, TokenRecord

from .service_desk import Desk, envelope

FIELDS = ["command_id", "ok", "code", "detail", "result", "alternatives"]


def _written(reply: Reply) -> str:
    body = reply.model_dump_json()
    assert list(json.loads(body)) == FIELDS
    return body


async def test_a_bookings_reply_is_its_token_record_as_the_contract_writes_it():
    desk = Desk()
    slot = await desk.slot(await desk.doctor())
    booking = envelope(desk.booking(slot, "A"))

    [reply] = await desk.batch(booking)

    [token] = desk.store.schedules[slot["doctor_id"]].slots[slot["id"]].tokens
    record = TokenRecord.model_validate(snapshot(token)).model_dump(mode="json")
    assert _written(reply) == Reply(command_id=booking.command_id, ok=True,
                                    result={**record, "moved": []}).model_dump_json()
    assert json.loads(_written(reply))["alternatives"] == []


async def test_a_reused_keys_refusal_is_written_as_the_contract_writes_it():
    desk = Desk()
    slot = await desk.slot(await desk.doctor())
    first = envelope(desk.booking(slot, "A"), fingerprint="one request")
    await desk.batch(first)

    [reused] = await desk.batch(envelope(desk.booking(slot, "B"), fingerprint="another",
                                         command_id=first.command_id))

    assert _written(reused) == Reply(
        command_id=first.command_id, ok=False, code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
        detail="this Idempotency-Key was already used for a different request",
    ).model_dump_json()


async def test_a_refusal_keeps_its_alternatives_and_a_decision_its_own_empty_list():
    desk = Desk()
    doctor = await desk.doctor()
    full = await desk.slot(doctor, capacity=1)
    other = (await desk.decide(OpenSlot(doctor_id=doctor, date=desk.tomorrow,
                                        start_time=dt.time(10), end_time=dt.time(11),
                                        max_capacity=1))).result
    [booked] = await desk.batch(envelope(desk.booking(full, "A")))
    [refused] = await desk.batch(envelope(desk.booking(full, "B")))

    assert refused.code is ErrorCode.SLOT_FULL
    assert [s["id"] for s in json.loads(_written(refused))["alternatives"]] == [other["id"]]
    assert booked.alternatives == [] and booked.alternatives is not refused.alternatives
    booked.alternatives.append(refused.alternatives[0])  # no list shared between replies
    [later] = await desk.batch(envelope(desk.booking(other, "C")))
    assert later.alternatives == []
