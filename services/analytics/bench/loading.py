"""COPY a synthetic month into analytics' tables: state, moves, roll-ups and facts.

Roll-ups are `rollups_of` the rows being loaded: the sum the projection keeps, event by
event, equal to (tests/reports/test_analytics_rollups.py proves it)."""

from __future__ import annotations

import datetime as dt
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

from analytics.rollup_store import rollup_records
from analytics.rollup_tables import ROLLUPS, TokenMove
from analytics.rollups import rollups_of
from analytics.tables import Doctor, Slot, Token

__all__ = ["load_month"]

EVENTS_AFTER = {"completed": ["checked_in", "consulting", "completed"],
                "checked_in": ["checked_in"]}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _copy(conn: asyncpg.Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [c.name for c in table.columns]
    await conn.copy_records_to_table(table.name, columns=columns,
                                     records=[tuple(r[c] for c in columns) for r in rows])


def _facts(month: Month) -> Iterator[tuple[Any, ...]]:
    """One fact per event of the history, each with a small payload (no patient fields)."""
    seq: dict[int, int] = defaultdict(int)
    now = dt.datetime.now(dt.UTC)

    def fact(doctor: int, kind: str, at: dt.datetime, body: dict[str, Any]) -> tuple[Any, ...]:
        seq[doctor] += 1
        payload = json.dumps({"type": kind, "doctor_id": doctor, "seq": seq[doctor], **body})
        return uuid.uuid4(), kind, doctor, seq[doctor], at, now, payload

    for d in month.doctors:
        yield fact(d["id"], "doctor.registered", d["created_at"], {"doctor": {"id": d["id"]}})
    for s in month.slots:
        yield fact(s["doctor_id"], "slot.opened", month.doctors[0]["created_at"],
                   {"slots": [{"id": s["id"], "date": str(s["date"])}]})
    for t in month.tokens:
        body = {"tokens": [{"id": t["id"], "slot_id": t["slot_id"], "source": t["source"]}]}
        yield fact(t["doctor_id"], "token.allocated", t["allocated_at"], body)
        for status in EVENTS_AFTER.get(t["status"], [t["status"]]):
            yield fact(t["doctor_id"], "token.status_changed", t["allocated_at"],
                       {**body, "status": status})
    for m in month.moves:
        yield fact(m["doctor_id"], "token.moved", month.doctors[0]["created_at"],
                   {"tokens": [{"id": m["token_id"]}], "reason": m["reason"]})


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
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
