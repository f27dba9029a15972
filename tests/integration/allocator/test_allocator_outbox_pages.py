"""The relay's mark of an event is written on its row's page (migration 0014): there, the
WAL carries only the bytes the mark changed, not the whole event again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from allocator.adapters.relay import relay_outbox

ROUND = 28  # a round's events at 1,000 bookings/s

# Events about as large as a booking's token.allocated (~1,250 bytes a row), as a round
# writes them: all its events in one statement, before the relay marks any.
A_ROUNDS_EVENTS = text(
    "INSERT INTO outbox (partition, routing_key, event, created_at) SELECT g % 16,"
    " 'token.allocated', jsonb_build_object('event_id', gen_random_uuid(),"
    " 'token', repeat('x', 1100)), now() FROM generate_series(1, :events) AS g")
PAGES = text("SELECT id, (ctid::text::point)[0] AS page FROM outbox ORDER BY id")


class Exchange:
    async def publish(self, message: Any, routing_key: str) -> None:
        pass


async def test_the_relays_mark_stays_on_the_page_of_the_event_it_marks(sessions, relaying):
    async with sessions.begin() as session:
        await session.execute(A_ROUNDS_EVENTS, {"events": ROUND})
    async with sessions() as session:
        written = {row: page for row, page in await session.execute(PAGES)}

    assert await relay_outbox(relaying, Exchange(), partitions=range(16)) == ROUND  # type: ignore[arg-type]

    async with sessions() as session:
        marked = {row: page for row, page in await session.execute(PAGES)}
        unpublished = await session.scalar(text(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    assert unpublished == 0
    moved = {row: (page, marked[row]) for row, page in written.items() if marked[row] != page}
    assert moved == {}  # on full pages, most of the round's marks went to other pages
    assert len(set(written.values())) > 1  # the round's rows take pages: a page's matter
