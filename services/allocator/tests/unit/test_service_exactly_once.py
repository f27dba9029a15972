"""Each command is decided once: a repeat, in a later batch or the same one, gets the reply
the first one got, and a refusal is a decision like any other. (The service layer on the
fake store; over the broker: integration/test_allocator_exactly_once.py.)"""

from __future__ import annotations

from opd_contracts import ErrorCode, Reply

from .service_desk import Desk, envelope


async def test_a_repeat_in_a_later_batch_gets_the_stored_reply_and_decides_nothing():
    desk = Desk()
    slot = await desk.slot(await desk.doctor())
    booking = envelope(desk.booking(slot, "A"))
    [first] = await desk.batch(booking)
    events = len(desk.store.outbox)

    [again] = await desk.batch(booking)

    assert isinstance(first, Reply) and first.ok and again == first
    assert desk.booked(slot) == ["A"]
    assert len(desk.store.outbox) == events  # nothing new to publish either


async def test_the_same_command_twice_in_one_batch_is_decided_once():
    desk = Desk()
    slot = await desk.slot(await desk.doctor())
    twice = envelope(desk.booking(slot, "A"))

    first, second = await desk.batch(twice, twice)

    assert isinstance(first, Reply) and first.ok and second == first
    assert desk.booked(slot) == ["A"]


async def test_a_key_used_again_for_another_request_is_refused():
    desk = Desk()
    slot = await desk.slot(await desk.doctor())
    first = envelope(desk.booking(slot, "A"), fingerprint="one request")
    [_] = await desk.batch(first)

    [reused] = await desk.batch(envelope(desk.booking(slot, "B"), fingerprint="another",
                                         command_id=first.command_id))

    assert isinstance(reused, Reply) and not reused.ok
    assert reused.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert desk.booked(slot) == ["A"]


async def test_a_command_the_domain_refuses_gets_the_refusal_reply_and_changes_nothing():
    desk = Desk()
    slot = await desk.slot(await desk.doctor(), capacity=1)
    await desk.decide(desk.booking(slot, "A"))
    events = len(desk.store.outbox)
    late = envelope(desk.booking(slot, "Late"))

    [refused] = await desk.batch(late)

    assert isinstance(refused, Reply) and not refused.ok
    assert refused.code is ErrorCode.SLOT_FULL and "full" in refused.detail
    assert desk.booked(slot) == ["A"] and len(desk.store.outbox) == events
    assert desk.store.inbox[late.command_id][1] == refused  # a repeat is refused the same
