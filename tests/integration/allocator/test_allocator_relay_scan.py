"""The relay's look-up of unpublished events stays cheap while published ones pile up: every
published event leaves a dead entry in the index of unpublished rows until vacuum comes, and
the look-up must be a scan that marks such entries, not one that visits them all each time."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from allocator.adapters.relay import PLAIN_INDEX_SCANS, relay_outbox, unpublished

ROUNDS, PER_ROUND, PARTITIONS = 600, 22, 16  # about 40 s of a 1,000/s rush, unvacuumed

# As the allocator and the relay leave the table: rounds write events, the relay marks them.
PUBLISHED_HISTORY = f"""
DO $$
BEGIN
  FOR r IN 1..{ROUNDS} LOOP
    INSERT INTO outbox (partition, routing_key, event, created_at)
    SELECT g % {PARTITIONS}, 'token.allocated',
           jsonb_build_object('event_id', gen_random_uuid(), 'pad', repeat('x', 400)), now()
    FROM generate_series(1, {PER_ROUND}) AS g;
    UPDATE outbox SET published_at = now() WHERE published_at IS NULL;
  END LOOP;
END $$"""


async def _plan(session: AsyncSession, query: Any) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of `query` as the relay runs it, in this transaction."""
    compiled = query.compile(dialect=session.get_bind().dialect)
    arguments = [compiled.params[name] for name in compiled.positiontup]
    raw = (await (await session.connection()).get_raw_connection()).driver_connection
    found = await raw.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {compiled}", *arguments)
    return found[0]["Plan"]  # the dialect's connection decodes JSON


def _nodes(plan: dict) -> list[str]:
    return [plan["Node Type"], *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def test_the_relay_finds_new_events_among_many_published_ones_without_revisiting_them(
        sessions):
    async with sessions.begin() as session:
        await session.execute(text("ALTER TABLE outbox SET (autovacuum_enabled = false)"))
        await session.execute(text(PUBLISHED_HISTORY))
        await session.execute(text(
            "INSERT INTO outbox (partition, routing_key, event, created_at) "
            "SELECT g % 16, 'token.allocated', jsonb_build_object('event_id', "
            "gen_random_uuid()), now() FROM generate_series(1, 22) AS g"))

    query = unpublished(partitions=range(0, PARTITIONS, 2))
    costs = []
    # The first look-up meets every dead entry. A plain index scan marks each once no
    # transaction can still see its row (on a busy server, a moment later), and look-ups
    # after that skip them; a bitmap scan visits them all again every time.
    for _ in range(50):
        async with sessions.begin() as session:
            await session.execute(PLAIN_INDEX_SCANS)
            plan = await _plan(session, query)
        assert "Bitmap Heap Scan" not in _nodes(plan)
        assert plan["Actual Rows"] == 11  # the even partitions' new events, and only those
        costs.append(plan["Shared Hit Blocks"] + plan.get("Shared Read Blocks", 0))
        if costs[-1] < 200:  # a few dozen buffers, against ~1,200 to ~6,700 while unmarked
            break
        await asyncio.sleep(0.1)
    assert costs[-1] < 200, costs


class Exchange:
    def __init__(self) -> None:
        self.published: list[str] = []

    async def publish(self, message: Any, routing_key: str) -> None:
        self.published.append(routing_key)


async def test_the_relay_looks_up_its_events_with_plain_index_scans(sessions):
    statements: list[str] = []
    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cursor, statement, *_: statements.append(statement))
    async with sessions.begin() as session:
        await session.execute(text(
            "INSERT INTO outbox (partition, routing_key, event, created_at) VALUES "
            "(0, 'token.allocated', '{\"event_id\": \"e1\"}', now())"))
    exchange = Exchange()

    assert await relay_outbox(sessions, exchange, partitions=[0]) == 1  # type: ignore[arg-type]

    look_up = next(i for i, s in enumerate(statements) if "SKIP LOCKED" in s)
    assert str(PLAIN_INDEX_SCANS) in statements[:look_up]
    assert exchange.published == ["token.allocated"]
