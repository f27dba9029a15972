"""COPY a synthetic month into analytics' tables: state, moves, roll-ups, facts, audit trail.

Roll-ups are `rollups_of` the rows being loaded: the sum the projection keeps, event by
event, equal to (tests/reports/test_analytics_rollups.py proves it). The audit trail is
filled from the facts by migration 0003's own backfill (its test proves it equal to what
the projection writes), which also times that migration on a month of events."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import Table
from sqlalchemy.engine import make_url
from synthetic import Month

from analytics.database import MIGRATIONS_DIR
from analytics.rollup_store import rollup_records
from analytics.rollup_tables import ROLLUPS, TokenMove
from analytics.rollups import rollups_of
from analytics.tables import Doctor, Slot, Token

__all__ = ["load_month"]

EVENTS_AFTER = {"completed": ["checked_in", "consulting", "completed"],
                "checked_in": ["checked_in"]}
ACTOR = "key:2:OPD desk"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _copy(conn: asyncpg.Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [c.name for c in table.columns]
    await conn.copy_records_to_table(table.name, columns=columns,
                                     records=[tuple(r[c] for c in columns) for r in rows])


def _facts(month: Month) -> Iterator[tuple[Any, ...]]:
    """One fact per event of the history, its payload shaped as the projection stores it
    (token snapshots without the patient), trimmed to the fields analytics reads."""
    seq: dict[int, int] = defaultdict(int)
    now = dt.datetime.now(dt.UTC)

    def fact(doctor: int, kind: str, at: dt.datetime, body: dict[str, Any]) -> tuple[Any, ...]:
        seq[doctor] += 1
        payload = json.dumps({"type": kind, "doctor_id": doctor, "seq": seq[doctor],
                              "actor": ACTOR, "command_id": str(uuid.uuid4()), **body})
        return uuid.uuid4(), kind, doctor, seq[doctor], at, now, payload

    for d in month.doctors:
        yield fact(d["id"], "doctor.registered", d["created_at"], {"doctor": {"id": d["id"]}})
    for s in month.slots:
        yield fact(s["doctor_id"], "slot.opened", month.doctors[0]["created_at"],
                   {"slots": [{"id": s["id"], "date": str(s["date"])}]})
    for t in month.tokens:
        for kind, body in _token_events(t):
            yield fact(t["doctor_id"], kind, t["allocated_at"], body)
    for m in month.moves:
        token = {"id": m["token_id"], "slot_id": m["to_slot_id"], "status": "allocated"}
        yield fact(m["doctor_id"], "token.moved", month.doctors[0]["created_at"],
                   {"tokens": [token], "reason": m["reason"]})


def _token_events(t: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Its allocation, then each status it went through, from the one before."""
    snapshot = {"id": t["id"], "token_number": t["token_number"], "slot_id": t["slot_id"],
                "source": t["source"]}
    before = "allocated"
    yield "token.allocated", {"tokens": [{**snapshot, "status": before}]}
    for status in EVENTS_AFTER.get(t["status"], [t["status"]]):
        yield "token.status_changed", {"tokens": [{**snapshot, "status": status}],
                                       "previous_status": before}
        before = status


def history_backfill() -> str:
    """Migration 0003's SQL, read from the migration itself (not importable by name)."""
    path = MIGRATIONS_DIR / "versions" / "0003_token_history.py"
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BACKFILL)


async def load_month(url: str, month: Month, zone: ZoneInfo, facts: bool = True) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        for model, rows in ((Doctor, month.doctors), (Slot, month.slots),
                            (Token, month.tokens), (TokenMove, month.moves)):
            await _copy(conn, model.__table__, rows)
        records = rollup_records(rollups_of(month.tokens, month.slots, zone))
        for name, rows in records.items():
            await _copy(conn, ROLLUPS[name].__table__, rows)
        if facts:
            columns = ["event_id", "type", "doctor_id", "seq", "occurred_at", "received_at",
                       "payload"]
            await conn.copy_records_to_table("event_facts", columns=columns,
                                             records=_facts(month))
            await conn.execute(history_backfill())
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
