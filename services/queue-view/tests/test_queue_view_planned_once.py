"""queue-view applies each batch on a connection of its own whose statements are planned
once (`opd_shared.database.planned_once`): PostgreSQL planned its one statement anew for
every batch. That is safe only while the statement's plan cannot depend on the tables'
statistics (a generic plan made while a table was small would scan it as it grows): it
reads no table but through its inserts' ON CONFLICT keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from opd_contracts import EventType
from opd_shared.database import PLANNED_ONCE
from queue_view.projection import _APPLY


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


async def test_the_apply_statement_reads_no_table_but_through_its_conflict_keys(sessions):
    compiled = _APPLY.statement.compile(dialect=PGDialect_asyncpg())
    nulls = ", ".join(["NULL"] * len(compiled.positiontup or ()))
    async with sessions() as session, session.begin():
        await session.execute(text(f"PREPARE apply AS {compiled.string}"))
        await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        plan = await session.scalar(text(f"EXPLAIN (FORMAT JSON) EXECUTE apply({nulls})"))
        await session.execute(text("DEALLOCATE apply"))

    nodes = list(_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    reads = [f"{n['Node Type']} {n['Relation Name']}" for n in nodes
             if "Relation Name" in n and n["Node Type"] != "ModifyTable"]
    assert reads == []
    assert {n.get("Relation Name") for n in nodes if n["Node Type"] == "ModifyTable"} == {
        "applied_events", "doctors", "slots", "tokens", "doctor_progress"}


async def test_batches_are_applied_on_connections_planned_once(service, events) -> None:
    await service.publish(events.event(EventType.SLOT_OPENED, slots=[events.slot()]))
    await service.wait_applied(events.doctor_id, 1)

    async with service.runtime.sessions() as session:
        names = set((await session.scalars(text(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
        ))).all())

    assert PLANNED_ONCE["application_name"] in names
