"""`opd_message_items{hop}` counts each message a booking's flow sends and the items in it,
so an operator can see whether batching happens (docs/OPERATIONS.md)."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY


def _sent(hop: str) -> tuple[float, float]:
    """Messages and items of `hop` so far (the gateway and allocator share this process)."""
    labels = {"hop": hop}
    return (REGISTRY.get_sample_value("opd_message_items_count", labels) or 0.0,
            REGISTRY.get_sample_value("opd_message_items_sum", labels) or 0.0)


async def _settled() -> dict[str, tuple[float, float]]:
    """The counts once the relay has sent what earlier commands committed (the doctor's and
    the slot's events leave a moment after their replies)."""
    last: dict[str, tuple[float, float]] = {}
    for _ in range(100):
        now = {hop: _sent(hop) for hop in ("command", "reply", "event")}
        if now == last:
            return now
        last = now
        await asyncio.sleep(0.2)
    raise AssertionError("messages kept being sent with nothing asked")


async def test_a_booking_is_counted_as_a_message_of_one_item_on_every_hop(api):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"])
    before = await _settled()

    assert (await api.book(slot)).status_code == 201
    for _ in range(100):  # the event leaves with the relay, just after the reply
        if _sent("event") != before["event"]:
            break
        await asyncio.sleep(0.05)

    for hop in ("command", "reply", "event"):
        messages, items = _sent(hop)
        assert (messages - before[hop][0], items - before[hop][1]) == (1, 1), hop
