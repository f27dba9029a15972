"""Each index of a table the notifier writes for every event is one more entry written: no
index of its tables is the leading part of another (migration 0003), and what telling
reads by token still reads through an index."""

from __future__ import annotations

from sqlalchemy import text

from opd_shared.testing import covered_indexes


async def test_no_index_is_the_leading_part_of_another(notifier) -> None:
    async with notifier.app.state.runtime.sessions() as session:
        covered = await covered_indexes(session)

    assert covered == []


async def test_a_tokens_notifications_are_read_through_the_unique_token_rule_index(
    notifier
) -> None:
    async with notifier.app.state.runtime.sessions() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.scalars(text(
            "EXPLAIN SELECT * FROM notifications WHERE token_id = ANY(ARRAY[1, 2]::bigint[])"
        ))).all())

    assert "uq_notifications_token_id" in plan
