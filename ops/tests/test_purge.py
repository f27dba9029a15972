"""`python -m opd_ops.purge`: names, phones, notes and ABHA numbers of visits past the
retention are gone from every store, recent ones are untouched, commands decided before the
retention are forgotten, and running it again changes nothing."""

from __future__ import annotations

import json

import aio_pika
import asyncpg
import pytest

from opd_ops.dsn import server_dsn
from opd_ops.purge import purge
from opd_ops.purge.dead_letters import UNREADABLE
from opd_shared.messaging import body_of
from opd_shared.settings import ServiceSettings

from .purge_seed import DEAD, DEAD_EVENTS, OLD, RECENT, TODAY, seed, seed_dead_letters


async def _dead_letters(settings: ServiceSettings) -> list[tuple[bytes, str]]:
    """Every dead letter's body (inflated if it came deflated) and reason, left on the queue
    (closing requeues them)."""
    async with await aio_pika.connect(settings.amqp_url) as connection:
        queue = await (await connection.channel()).get_queue(settings.topology.dead_letter_queue)
        seen = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            seen.append((body_of(message), message.headers["x-opd-reason"]))
        return sorted(seen)


QUERIES = {"allocator": ["SELECT id, patient_name, patient_phone, notes, abha_number FROM tokens"
                         " ORDER BY id",
                         "SELECT reply->'result' FROM inbox ORDER BY reply->'result'->>'id'",
                         "SELECT event->'tokens' FROM outbox"],
           "queue_view": ["SELECT id, patient_name, patient_phone, notes, abha_number FROM tokens"
                         " ORDER BY id"],
           "analytics": ["SELECT payload->'tokens' FROM event_facts"]}


async def _stores(settings: ServiceSettings) -> dict[str, list]:
    found = {}
    for service, queries in QUERIES.items():
        conn = await asyncpg.connect(f"{server_dsn(settings.postgres_url)}/"
                                     f"{settings.namespace}_{service}")
        try:
            for query in queries:
                rows = [tuple(json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
                              for v in row) for row in await conn.fetch(query)]
                found[f"{service}: {query}"] = rows
        finally:
            await conn.close()
    return found


@pytest.fixture
async def purged_twice(infra):
    settings = infra.settings(ServiceSettings, infra.namespace("purge"), retention_days=30)
    await seed(settings)
    await seed_dead_letters(settings)
    lines: list[str] = []
    first = await purge(settings, batch=1, say=lines.append, today=TODAY)
    after = (await _stores(settings), await _dead_letters(settings))
    second = await purge(settings, batch=1, say=lines.append, today=TODAY)
    again = (await _stores(settings), await _dead_letters(settings))
    return first, after, second, again, lines


async def test_old_visits_are_purged_everywhere_and_recent_ones_kept(purged_twice):
    first, (stores, dead), *_ = purged_twice
    gone = ("(purged)", None, None, None)
    kept = ("Recent Rita", "9800000012", "Rita's cough", "91-4444-5555-6666")
    forgotten = {**OLD.model_dump(mode="json"), "patient_name": "(purged)",
                 "patient_phone": None, "notes": None, "abha_number": None}
    recent = RECENT.model_dump(mode="json")

    assert first == {"allocator.tokens": 1, "allocator.inbox": 1, "allocator.inbox.reply": 1,
                     "allocator.outbox.event": 1, "queue_view.tokens": 1,
                     "analytics.event_facts.payload": 1, "dead_letters": 3}
    for service in ("allocator", "queue_view"):
        assert stores[f"{service}: {QUERIES[service][0]}"] == [(11, *gone), (12, *kept)]
    assert stores[f"allocator: {QUERIES['allocator'][1]}"] == [(forgotten,), (recent,)]
    assert stores[f"allocator: {QUERIES['allocator'][2]}"] == [([forgotten, recent],)]
    assert stores[f"analytics: {QUERIES['analytics'][0]}"] == [([forgotten, recent],)]
    bodies = [json.loads(body) if body != DEAD["junk"] else body for body, _ in dead]
    assert DEAD["recent"] in [body for body, _ in dead]
    assert UNREADABLE in [body for body, _ in dead] and DEAD["junk"] not in bodies
    [dora] = [b["command"] for b in bodies if isinstance(b, dict) and "command" in b
              and b["issued_at"].startswith("2026-02")]
    assert (dora["patient_name"], dora["patient_phone"], dora["notes"],
            dora["abha_number"]) == gone
    # The old deflated batch of events was read and redacted token by token; the recent one,
    # dated by its event, is as it was.
    assert DEAD_EVENTS["recent"] in [body for body, _ in dead]
    [events] = [b["events"] for b in bodies if isinstance(b, dict) and "events" in b
                and b["events"][0]["occurred_at"].startswith("2026-02")]
    assert [(t["patient_name"], t["patient_phone"], t["notes"], t["abha_number"])
            for t in events[0]["tokens"]] == [gone, gone]
    assert {reason for _, reason in dead} == {"why"}  # the headers travel with the copy


async def test_a_second_purge_changes_nothing(purged_twice):
    _, after, second, again, lines = purged_twice

    assert set(second.values()) == {0}
    assert again == after
    assert any("rows redacted so far" in line for line in lines)
