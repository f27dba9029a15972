"""Many events handled at once (prefetch 32), published newest first: the figures must still
be those of the history in order, because every write keeps the newest snapshot."""

from __future__ import annotations

import datetime as dt

from opd_contracts.vocabulary import Source, TokenStatus

DAY = dt.date(2026, 3, 2)
SOURCES = [Source.PRIORITY, Source.FOLLOW_UP, Source.ONLINE, Source.WALK_IN]
COMPLETE = [TokenStatus.CHECKED_IN, TokenStatus.CONSULTING, TokenStatus.COMPLETED]


def thirty_tokens(history):
    """30 tokens in a 40-place slot: 10 completed, 10 cancelled, 5 no-shows, 5 still waiting."""
    d = history()
    slot = d.slot(DAY, capacity=40)
    events, held = [d.registered(), d.opened(slot)], 0
    tokens = [d.token(slot, SOURCES[i % 4]) for i in range(30)]
    for token in tokens:
        held += 1
        events.append(d.allocated(token, d.held(slot, held)))
    for token in tokens[:10]:
        for status in COMPLETE:
            token, event = d.changed(token, status)
            events.append(event)
    for token, status in [(t, TokenStatus.CANCELLED) for t in tokens[10:20]] + [
            (t, TokenStatus.NO_SHOW) for t in tokens[20:25]]:
        held -= 1
        events.append(d.changed(token, status, d.held(slot, held))[1])
    return slot, events


async def test_events_applied_concurrently_and_newest_first_settle_on_the_right_counts(
    start_analytics, history
):
    slot, events = thirty_tokens(history)

    async with start_analytics(batch_max=32) as service:
        await service.publish(*reversed(events))
        facts = await service.eventually(service.facts, lambda n: n >= len(events))
        figures = (await service.get(f"/slots/{slot.id}")).json()

    assert (len(events), facts) == (2 + 30 + 30 + 15, 77)
    assert (figures["current_count"], figures["utilization_percentage"]) == (15, 37.5)
    assert figures["tokens_by_status"] == {
        "allocated": 5, "checked_in": 0, "consulting": 0,
        "completed": 10, "cancelled": 10, "no_show": 5,
    }
    # sources cycle priority, follow_up, online, walk_in over 30 tokens
    assert figures["tokens_by_source"] == {
        "priority": 8, "follow_up": 8, "online": 7, "walk_in": 7,
    }
