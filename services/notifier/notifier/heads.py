"""The waiting tokens at the head of each queue that were not yet told they are near.

Why this statement: deciding `near` re-reads, for every slot a batch touched, the first
places of its queue. Ranking every live token of those slots with a window (the statement
before, issue #13) sorted them all: EXPLAIN ANALYZE on the bench's tables (19 slots of
~275 live tokens) read and sorted 5,163 rows in 4.4-4.6 ms, and 450-650 rows a batch went
back, nearly all told long ago, which the notifier turned into rules and looked up again.

Here each slot reads only its first `places` live tokens (NULL: all, `LIMIT NULL`) from
`ix_tokens_queue_place` (migration 0002: the live tokens by slot in queue order, so a
slot's head is the first entries of one index range and nothing is sorted), numbers them
(`ahead`: the live tokens before each, the one consulting included), and keeps the waiting
ones with no `near` notification for that slot: 0.6-0.9 ms for the same 19 slots, about
two rows a batch. The index matches only because the queue order's 'consulting' and the
live statuses are literals here, as in the index (a test reads the plan).

A head token whose row says it was told `near` in this slot (`near_told_slot`, migration
0004: written with the notification, in the same transaction) is left out without asking
`notifications`: asking about every waiting head token was ~510 probes of its unique key a
batch of 34 slots (an index descent and a heap fetch each) to find about one new `near`,
1.24 ms under EXPLAIN ANALYZE and 1,340 buffers; now 0.79 ms and 239 (issue #13, ninth
session). The others (the mark empty, as after a rebuild emptied `tokens`, or naming another
slot) are still asked, so the answer is what `notifications` says.

`OFFSET 0` keeps the look-up of what was told a probe of `notifications`' unique key per
head token: as an anti-join, a generic plan made on stale statistics hashed the whole table
(which only grows: it survives rebuilds) for a few dozen tokens. One prepared statement
whatever the number of slots: the slots and their places are two array parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from asyncpg import Connection
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from notifier.models import Token
from opd_contracts.vocabulary import LIVE, WAITING
from opd_shared.readmodel import queue_order, table_of
from opd_shared.readmodel.driver import Statement

__all__ = ["INDEX", "heads_not_told"]

INDEX = "ix_tokens_queue_place"


def _literals(statuses: frozenset[Any]) -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(statuses))


# `queue_key` in SQL (opd_shared.readmodel.queue_order), its 'consulting' a literal.
_ORDER = ", ".join(str(e.compile(dialect=postgresql.dialect(),
                                 compile_kwargs={"literal_binds": True}))
                   for e in queue_order(table_of(Token)))

_HEADS = Statement.of(text(f"""
SELECT head.id, head.slot_id, head.ahead
FROM unnest(CAST(:slot_ids AS bigint[]), CAST(:places AS integer[])) AS reach(slot_id, places)
CROSS JOIN LATERAL (
    SELECT tokens.id, tokens.slot_id, tokens.status, tokens.near_told_slot,
           row_number() OVER (ORDER BY {_ORDER}) - 1 AS ahead
    FROM tokens
    WHERE tokens.slot_id = reach.slot_id AND tokens.status IN ({_literals(LIVE)})
    ORDER BY {_ORDER}
    LIMIT reach.places) AS head
WHERE head.status IN ({_literals(WAITING)})
  AND head.near_told_slot IS DISTINCT FROM head.slot_id AND NOT EXISTS (
    SELECT FROM notifications
    WHERE notifications.token_id = head.id AND notifications.rule = 'near:' || head.slot_id
    OFFSET 0)
ORDER BY head.slot_id, head.ahead"""))

AnyRow = Any  # a row read by attribute: a named tuple (`Statement.rows`) or a record


async def heads_not_told(connection: Connection, places: Mapping[int, int | None]
                         ) -> Sequence[AnyRow]:
    """Per slot (its id to how many places from the head to read, None for all), the
    waiting tokens in those places not yet told `near` there, as (id, slot_id, ahead)."""
    slot_ids = sorted(places)
    return await _HEADS.rows(connection, {
        "slot_ids": slot_ids, "places": [places[s] for s in slot_ids]})
