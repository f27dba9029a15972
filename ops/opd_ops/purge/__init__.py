"""Forget patients once their visit is long past: `python -m opd_ops.purge` (`make purge`).

For every token whose slot's date is more than OPD_RETENTION_DAYS before today (the
hospital's day), the patient's name becomes "(purged)" and the phone and notes become null,
wherever they are kept: the allocator's tokens, inbox replies and outbox events, queue-view's
tokens, analytics' fact snapshots, and dead letters (see `dead_letters`); the ABHA number too,
and interop's Scan & Share records of those days are deleted, as are the commands the
allocator decided before the cutoff (its inbox: nothing repeats a command that old). The rest stays:
counts, times and statuses are what reports need, and they name no one.

Safe to run at any time and again: each statement redacts one batch and commits it, a second
run finds nothing left to change, and the running services need not stop (they never write
a token whose day is that far past).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import asyncpg

from opd_ops.dsn import server_dsn
from opd_ops.purge.dead_letters import purge_dead_letters
from opd_ops.purge.stores import DATABASES, PURGED, Columns, Dated, Document
from opd_shared.settings import ServiceSettings

__all__ = ["cutoff", "purge"]

Say = Callable[[str], object]


def cutoff(settings: ServiceSettings, today: dt.date | None = None) -> dt.date:
    """Tokens of slots dated before this day are purged."""
    today = today or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return today - dt.timedelta(days=settings.retention_days)


async def _purge_store(conn: asyncpg.Connection, store: Columns | Document | Dated,
                       before: dt.date, batch: int, say: Say, where: str) -> int:
    after, changed = store.start, 0
    while True:
        keys = [row[0] for row in await conn.fetch(store.select, before, after, batch, PURGED)]
        if keys:
            await conn.execute(store.update, before, keys, PURGED)
            changed, after = changed + len(keys), keys[-1]
            say(f"{where}.{store.label}: {changed} rows redacted so far")
        if len(keys) < batch:
            return changed


async def _purge_database(dsn: str, name: str, before: dt.date, batch: int,
                          say: Say) -> dict[str, int]:
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        say(f"{name}: no such database here; skipped")
        return {}
    try:
        return {f"{name}.{store.label}": await _purge_store(conn, store, before, batch, say, name)
                for store in DATABASES[name]}
    finally:
        await conn.close()


async def purge(settings: ServiceSettings, batch: int = 500, say: Say = print,
                today: dt.date | None = None) -> dict[str, int]:
    """Rows (and dead letters) redacted now, by place; a second run gives all zeros."""
    before = cutoff(settings, today)
    say(f"purging patients' data of visits before {before} "
        f"({settings.retention_days} days kept)")
    server = server_dsn(settings.postgres_url)
    changed: dict[str, int] = {}
    for name in DATABASES:
        changed |= await _purge_database(f"{server}/{settings.namespace}_{name}", name, before,
                                         batch, say)
    zone = ZoneInfo(settings.timezone)
    redacted, seen = await purge_dead_letters(settings.amqp_url, settings.topology, before, zone)
    say(f"dead letters: {redacted} of {seen} redacted")
    changed["dead_letters"] = redacted
    say(f"done: {sum(changed.values())} redacted")
    return changed
