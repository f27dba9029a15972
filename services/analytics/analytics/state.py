"""Slots and tokens of one event: newer snapshots replace older ones, and each replacement
yields the roll-up delta (new row's contributions minus the old row's)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.doctor_state import specializations
from analytics.rollup_store import load, upsert_rows
from analytics.rollups import (
    WAIT_METRICS,
    Delta,
    delta,
    slot_contributions,
    token_contributions,
    wait_minutes,
)
from analytics.tables import Slot, Token
from opd_shared.contracts import SlotRecord, TokenRecord

__all__ = ["project_slots", "project_tokens", "slot_starts", "token_row"]

SLOTS, TOKENS = Slot.__table__, Token.__table__
_SNAPSHOT = [c.name for c in TOKENS.columns
             if c.name not in {"version", "day", "specialization", *WAIT_METRICS}]
_SLOT = [c.name for c in SLOTS.columns if c.name != "version"]


def token_row(
    token: TokenRecord, day: dt.date | None, version: int, specialization: str | None
) -> dict[str, Any]:
    """The `tokens` row of a snapshot: its fields (never the patient), day, its doctor's
    specialization and its waits."""
    # Attributes, not model_dump(): enums and times go to SQL as they are.
    row = {name: getattr(token, name) for name in _SNAPSHOT}
    row.update(source=token.source.value, status=token.status.value, day=day, version=version,
               specialization=specialization)
    for metric, (start, end) in WAIT_METRICS.items():
        row[metric] = wait_minutes(getattr(token, start), getattr(token, end))
    return row


def _newest(records: Iterable[Any]) -> dict[int, Any]:
    return {record.id: record for record in records}  # the same id twice: keep the last


async def slot_starts(
    session: AsyncSession, ids: Iterable[int], carried: Iterable[SlotRecord]
) -> dict[int, dt.datetime]:
    """Where each slot starts (local wall clock), from the event or else the database."""
    known = {s.id: dt.datetime.combine(s.date, s.start_time) for s in carried}
    missing = set(ids) - set(known)
    if missing:
        rows = await session.execute(
            select(SLOTS.c.id, SLOTS.c.date, SLOTS.c.start_time).where(SLOTS.c.id.in_(missing)))
        known.update({i: dt.datetime.combine(d, t) for i, d, t in rows})
    return known


async def project_slots(
    session: AsyncSession, slots: Iterable[SlotRecord], version: int, zone: ZoneInfo
) -> Delta:
    records = _newest(slots)
    old = await load(session, SLOTS, records)
    rows = [{**{n: getattr(s, n) for n in _SLOT}, "version": version}
            for s in records.values() if s.id not in old or old[s.id]["version"] < version]
    await upsert_rows(session, SLOTS, rows)
    changes: Delta = Counter()
    for row in rows:
        before = old.get(row["id"])
        changes.update(delta(slot_contributions(row),
                             slot_contributions(before) if before else Counter()))
        if before is None:
            changes.update(await _adopt_tokens(session, row["id"], row["date"], zone))
    return changes


async def _adopt_tokens(
    session: AsyncSession, slot_id: int, day: dt.date, zone: ZoneInfo
) -> Delta:
    """Tokens that arrived before their slot get its day now, and start counting on it."""
    waiting = TOKENS.c.slot_id == slot_id, TOKENS.c.day.is_(None)
    orphans = (await session.execute(select(TOKENS).where(*waiting))).mappings().all()
    changes: Delta = Counter()
    if orphans:
        await session.execute(update(TOKENS).where(*waiting).values(day=day))
    for old in orphans:
        changes.update(delta(token_contributions({**old, "day": day}, zone),
                             token_contributions(old, zone)))
    return changes


async def project_tokens(
    session: AsyncSession, tokens: Iterable[TokenRecord], carried: list[SlotRecord],
    version: int, zone: ZoneInfo,
) -> Delta:
    records = _newest(tokens)
    old = await load(session, TOKENS, records)
    fresh = [t for t in records.values() if t.id not in old or old[t.id]["version"] < version]
    starts = await slot_starts(session, {t.slot_id for t in fresh}, carried)
    fields = await specializations(session, {t.doctor_id for t in fresh})
    rows = [token_row(t, _day(starts.get(t.slot_id)), version, fields.get(t.doctor_id))
            for t in fresh]
    await upsert_rows(session, TOKENS, rows)
    changes: Delta = Counter()
    for row in rows:
        before = old.get(row["id"])
        changes.update(delta(token_contributions(row, zone),
                             token_contributions(before, zone) if before else Counter()))
    return changes


def _day(start: dt.datetime | None) -> dt.date | None:
    return start.date() if start else None
