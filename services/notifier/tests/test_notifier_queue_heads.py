"""Deciding `near` reads only the head of each queue (issue #13), in SQL (`notifier.heads`):
its places must be `queue_key`'s, or a token near its turn would be told a wrong place or
left unread (and untold); it leaves out only tokens told `near` in that slot; and it reads
the heads through the index in queue order, even on a generic plan made from statistics
taken when the table was small (a sort of every live token of the slots was ~13 ms a batch).
"""

from __future__ import annotations

import json
import random

from sqlalchemy import delete, insert, text

from notifier.heads import _HEADS, INDEX, heads_not_told
from notifier.models import Notification, Token
from notifier.projection import _TELLING
from opd_contracts.vocabulary import LIVE, WAITING, TokenStatus, queue_key

from .conftest import at


def _tokens(rng: random.Random, slot_ids: list[int], per_slot: int = 150) -> list[dict]:
    """Every status, emergencies, few scores, and ids in another order than arrival, so the
    order turns on each of its parts."""
    return [{"id": slot_id * 1000 + i, "slot_id": slot_id, "source": "walk_in",
             "status": rng.choice(list(TokenStatus)).value, "is_emergency": rng.random() < 0.1,
             "priority_score": rng.choice([10, 20, 30, 40]), "is_overflow": False,
             "allocated_at": at("08:00"), "version": 1, "doctor_id": 1,
             "token_number": f"D1-{slot_id}-{n}", "sequence_number": n}
            for slot_id in slot_ids for i, n in enumerate(rng.sample(range(1, 1000), per_slot))]


def _told(token_id: int, rule: str) -> dict:
    return {"token_id": token_id, "kind": rule.split(":")[0], "rule": rule,
            "token_number": "D1-1", "text": "-", "details": {}}


def _expected(tokens: list[dict], places: dict[int, int | None], told: set[tuple[int, str]]
              ) -> list[tuple[int, int, int]]:
    """(id, slot_id, ahead) of the waiting tokens in each slot's first places, by
    `queue_key`, not told near in that slot; by slot, then place."""
    found = []
    for slot_id in sorted(places):
        queue = sorted((t for t in tokens if t["slot_id"] == slot_id and t["status"] in LIVE),
                       key=lambda t: queue_key(TokenStatus(t["status"]), t["is_emergency"],
                                               t["priority_score"], t["sequence_number"]))
        found += [(t["id"], slot_id, ahead) for ahead, t in enumerate(queue[:places[slot_id]])
                  if t["status"] in WAITING and (t["id"], f"near:{slot_id}") not in told]
    return found


async def test_the_heads_are_the_first_places_in_queue_key_order_less_those_told_near_there(
    notifier
) -> None:
    rng = random.Random(13)
    slot_ids = [rng.randrange(10**8, 10**9) for _ in range(3)]
    tokens = _tokens(rng, slot_ids)
    waiting = [t for t in tokens if t["status"] in WAITING]
    # Told near in its slot (left out), and told something else or near in another slot
    # (still offered).
    near_here = {(t["id"], f"near:{t['slot_id']}") for t in rng.sample(waiting, 40)}
    elsewhere = {(t["id"], rule) for t in rng.sample(waiting, 40)
                 for rule in ("called", f"near:{t['slot_id'] + 1}")}
    told = near_here | elsewhere
    async with notifier.app.state.runtime.sessions.begin() as session:
        await session.execute(insert(Token), tokens)
        await session.execute(insert(Notification), [_told(*t) for t in sorted(told)])
    asked = [dict.fromkeys(slot_ids, 1), dict.fromkeys(slot_ids, 7),
             dict.fromkeys(slot_ids, None), dict(zip(slot_ids, (2, None, 40), strict=True))]
    # Then as telling marks them (migration 0004): half of those told near here marked with
    # this slot, the other half not (a rebuild emptied `tokens`), and those told near in
    # another slot marked with that one: the same answers.
    marked = [(token_id, int(rule.split(":")[1])) for token_id, rule in sorted(near_here)][::2]
    marked += [(token_id, int(rule.split(":")[1])) for token_id, rule in sorted(elsewhere)
               if rule.startswith("near:")]
    try:
        async with notifier.app.state.runtime.sessions() as session:
            driver = (await (await session.connection()).get_raw_connection()).driver_connection
            heads = [await heads_not_told(driver, places) for places in asked]
            await driver.executemany("UPDATE tokens SET near_told_slot = $2 WHERE id = $1",
                                     marked)
            heads_marked = [await heads_not_told(driver, places) for places in asked]
    finally:
        async with notifier.app.state.runtime.sessions.begin() as session:
            await session.execute(delete(Token).where(Token.slot_id.in_(slot_ids)))
            await session.execute(delete(Notification).where(
                Notification.token_id.in_({token_id for token_id, _ in told})))

    for places, rows, rows_marked in zip(asked, heads, heads_marked, strict=True):
        assert [tuple(r) for r in rows] == _expected(tokens, places, near_here), places
        assert [tuple(r) for r in rows_marked] == [tuple(r) for r in rows], places
    offered = {token_id for token_id, _, _ in _expected(tokens, asked[2], near_here)}
    assert offered & {token_id for token_id, _ in elsewhere}  # told else, still offered


STALE, GROWN = 100, 6000  # tokens when the statistics were taken, and since
_SCANS = text("SELECT relname, seq_scan FROM pg_stat_xact_user_tables"
              " WHERE relname IN ('tokens', 'notifications')")


async def test_the_heads_and_what_telling_needs_are_read_by_index_on_stale_generic_plans(
    notifier
) -> None:
    """The plans PostgreSQL may cache for prepared statements after their fifth run, made
    here on statistics taken when the tables held a hundred tokens and ten notifications,
    and the day's tokens added since: no table is scanned whole, no queue is sorted.
    (Written as an anti-join, the heads' told look-up was a hash of all `notifications`.)"""
    rng = random.Random(7)
    slot_ids = [rng.randrange(10**8, 10**9) for _ in range(40)]
    tokens = _tokens(rng, slot_ids, per_slot=(STALE + GROWN) // 40)
    sessions = notifier.app.state.runtime.sessions
    try:
        async with sessions.begin() as session:
            await session.execute(insert(Token), tokens[:STALE])
            await session.execute(insert(Notification), [
                _told(t["id"], f"near:{t['slot_id']}") for t in tokens[:10]])
        async with sessions.begin() as session:
            await session.execute(text("ANALYZE tokens"))
            await session.execute(text("ANALYZE notifications"))
        async with sessions.begin() as session:
            await session.execute(insert(Token), tokens[STALE:])
            await session.execute(insert(Notification), [
                _told(t["id"], f"near:{t['slot_id']}") for t in tokens[STALE::3]])
        async with sessions.begin() as session:
            await session.execute(text(
                f"PREPARE heads (bigint[], integer[]) AS {_HEADS.sql}"))
            await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            arrays = ("{" + ",".join(map(str, slot_ids[:30])) + "}", "{" + ",".join(
                ["16"] * 30) + "}")
            plan = await session.scalar(text(
                f"EXPLAIN (FORMAT JSON) EXECUTE heads ('{arrays[0]}', '{arrays[1]}')"))
            await session.execute(text("DEALLOCATE heads"))
            before = dict((await session.execute(_SCANS)).all())
            # As applying runs them: on the asyncpg connection, in this transaction.
            driver = (await (await session.connection()).get_raw_connection()).driver_connection
            ids = [t["id"] for t in tokens[STALE::500]]
            for _ in range(6):  # past the five runs after which a generic plan may stay
                told = await _TELLING.rows(driver, {"ids": ids})
            after = dict((await session.execute(_SCANS)).all())
    finally:
        async with sessions.begin() as session:
            await session.execute(delete(Token).where(Token.slot_id.in_(slot_ids)))
            await session.execute(delete(Notification).where(
                Notification.token_id.in_([t["id"] for t in tokens])))

    nodes = list(_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    shown = " > ".join(f"{n['Node Type']} {n.get('Index Name', '')}" for n in nodes)
    # The one sort allowed is the answer's own (its few rows by slot and place), at the top.
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], shown
    assert not [n for n in nodes[1:] if n["Node Type"] == "Sort"], shown
    assert INDEX in {n.get("Index Name") for n in nodes}
    # What telling needs (`projection._TELLING`): the tokens and the rules told them.
    assert len(told) == len(tokens[STALE::500]) and any(row.told for row in told)
    assert after == before, (before, after)


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)
