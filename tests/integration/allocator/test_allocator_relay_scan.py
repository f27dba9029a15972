"""The relay's look-up of unpublished events stays cheap while published ones pile up: every
published event leaves a dead entry in the index of unpublished rows until vacuum comes, and
the look-up must be a scan that marks such entries, not one that visits them all each time."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from allocator.adapters.relay import CLAIM_DUE, relay_outbox
from opd_shared.messaging import body_of

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


async def _plan(relaying: asyncpg.Pool, partitions: list[int]) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the relay's statement, on one of the relay's own
    connections (their settings are what is tested), rolled back: it marks rows sent."""
    async with relaying.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            found = await connection.fetchval(
                f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {CLAIM_DUE}", partitions, 500)
        finally:
            await transaction.rollback()
    return json.loads(found)[0]["Plan"]


def _look_up(plan: dict) -> dict:
    """The part of the statement's plan that finds the rows: the subquery of their ids."""
    return next(p for p in plan["Plans"] if p.get("Parent Relationship") == "InitPlan")


def _nodes(plan: dict) -> list[str]:
    return [plan["Node Type"], *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def test_the_relay_finds_new_events_among_many_published_ones_without_revisiting_them(
        sessions, relaying):
    async with sessions.begin() as session:
        await session.execute(text("ALTER TABLE outbox SET (autovacuum_enabled = false)"))
        await session.execute(text(PUBLISHED_HISTORY))
        await session.execute(text(
            "INSERT INTO outbox (partition, routing_key, event, created_at) "
            "SELECT g % 16, 'token.allocated', jsonb_build_object('event_id', "
            "gen_random_uuid()), now() FROM generate_series(1, 22) AS g"))

    costs = []
    # The first look-up meets every dead entry. A plain index scan marks each once no
    # transaction can still see its row (on a busy server, a moment later), and look-ups
    # after that skip them; a bitmap scan visits them all again every time.
    for _ in range(50):
        plan = await _plan(relaying, list(range(0, PARTITIONS, 2)))
        # Plain index scans only: no bitmap scan finding the rows, and no scan of the whole
        # table marking them sent.
        assert {node for node in _nodes(plan) if "Scan" in node} == {"Index Scan"}, plan
        assert plan["Actual Rows"] == 11  # the even partitions' new events, and only those
        look_up = _look_up(plan)  # the buffers of marking the rows sent are not its cost
        costs.append(look_up["Shared Hit Blocks"] + look_up.get("Shared Read Blocks", 0))
        if costs[-1] < 200:  # a few dozen buffers, against ~1,200 to ~6,700 while unmarked
            break
        await asyncio.sleep(0.1)
    assert costs[-1] < 200, costs


class Exchange:
    def __init__(self, fails: bool = False) -> None:
        self.published: list[str] = []
        self.fails = fails

    async def publish(self, message: Any, routing_key: str) -> None:
        if self.fails:
            raise ConnectionError("the broker is away")
        self.published += [e["event_id"] for e in json.loads(body_of(message))["events"]]


async def _unsent(sessions) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(text(
            "SELECT event->>'event_id' FROM outbox WHERE published_at IS NULL ORDER BY id")))


async def test_the_relay_publishes_in_order_and_marks_sent_only_what_the_broker_confirmed(
        sessions, relaying):
    async with sessions.begin() as session:
        await session.execute(text(
            "INSERT INTO outbox (partition, routing_key, event, created_at) SELECT g % 2,"
            " 'token.allocated', jsonb_build_object('event_id', 'e' || g), now()"
            " FROM generate_series(1, 6) AS g"))

    with pytest.raises(ConnectionError):
        await relay_outbox(relaying, Exchange(fails=True), partitions=[0, 1])  # type: ignore[arg-type]
    assert await _unsent(sessions) == [f"e{g}" for g in range(1, 7)]  # the mark rolled back

    exchange = Exchange()
    assert await relay_outbox(relaying, exchange, partitions=[1]) == 3  # type: ignore[arg-type]
    assert exchange.published == ["e1", "e3", "e5"]
    assert await _unsent(sessions) == ["e2", "e4", "e6"]


async def test_the_sweeper_publishes_only_events_older_than_its_interval(sessions, relaying):
    async with sessions.begin() as session:
        await session.execute(text(
            "INSERT INTO outbox (partition, routing_key, event, created_at) VALUES"
            " (3, 'token.allocated', '{\"event_id\": \"stray\"}', now() - interval '5 s'),"
            " (4, 'token.allocated', '{\"event_id\": \"fresh\"}', now())"))
    exchange = Exchange()

    swept = await relay_outbox(relaying, exchange,  # type: ignore[arg-type]
                               older_than=dt.timedelta(seconds=1))

    assert (swept, exchange.published) == (1, ["stray"])
    assert await _unsent(sessions) == ["fresh"]  # the relay's, once its round kicks it
