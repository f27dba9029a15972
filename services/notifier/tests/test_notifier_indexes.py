"""Each index of a table the notifier writes for every event is one more entry written: no
index of its tables is the leading part of another (migration 0003), and what telling
reads by token still reads through an index."""

from __future__ import annotations

from sqlalchemy import text

# Pairs of a non-unique index whose columns begin another index of the same table.
COVERED = """
SELECT a.indexrelid::regclass::text, b.indexrelid::regclass::text
FROM pg_index AS a JOIN pg_index AS b
  ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid
WHERE NOT a.indisunique AND a.indpred IS NULL AND b.indpred IS NULL
  AND a.indexprs IS NULL AND b.indexprs IS NULL
  AND (b.indkey::text || ' ') LIKE (a.indkey::text || ' %')
  AND a.indrelid::regclass::text NOT LIKE 'pg_%'
"""


async def test_no_index_is_the_leading_part_of_another(notifier) -> None:
    async with notifier.app.state.runtime.sessions() as session:
        covered = (await session.execute(text(COVERED))).all()

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
