"""Every index of a table the allocator writes on each booking is one more entry written by
each booking: tokens keep only the indexes a uniqueness or a read of the allocator needs
(migration 0010), and no index of its tables is the leading part of another's."""

from __future__ import annotations

from sqlalchemy import text

from opd_shared.testing import covered_indexes

# What each of tokens' indexes is for: its id, one sequence number a slot (and the reads of
# a slot's tokens), one token number.
TOKENS_INDEXES = {"pk_tokens", "uq_tokens_slot_sequence", "uq_tokens_token_number"}


async def test_tokens_keep_only_the_indexes_the_allocator_needs(sessions):
    async with sessions() as session:
        names = set((await session.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'tokens'"))).all())

    assert names == TOKENS_INDEXES


async def test_no_index_is_the_leading_part_of_another(sessions):
    async with sessions() as session:
        covered = await covered_indexes(session)

    assert covered == []


async def test_a_slots_tokens_are_read_through_the_slot_sequence_index(sessions):
    async with sessions() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.scalars(text(
            "EXPLAIN SELECT * FROM tokens WHERE slot_id = ANY(ARRAY[1, 2]::bigint[])"))).all())

    assert "uq_tokens_slot_sequence" in plan
