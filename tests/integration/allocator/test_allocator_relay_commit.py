"""The relay's commits (the mark that events were published) do not wait for the WAL flush,
while a round's commits (the decisions, their replies and their events) still do: losing a
mark in a crash only publishes its events again, which read models ignore by event id;
losing a round would lose acknowledged work."""

from __future__ import annotations

from sqlalchemy import text


async def test_the_relays_connections_commit_without_waiting_for_the_flush(relaying):
    async with relaying.acquire() as connection:
        assert await connection.fetchval("SHOW synchronous_commit") == "off"


async def test_a_rounds_connections_still_wait_for_the_flush(sessions):
    async with sessions() as session:
        assert await session.scalar(text("SHOW synchronous_commit")) == "on"
