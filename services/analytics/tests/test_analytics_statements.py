"""What a batch costs PostgreSQL in statements (issue #13): its facts and their audit rows in
one, its rows, roll-ups and moves in one more, whatever the batch holds; and the fact table
carries no index beyond its key (nothing reads the facts otherwise)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, text

from analytics.audit import TokenChange
from analytics.projections import apply_events
from analytics.rollup_tables import DailyTokens, TokenMove
from opd_contracts import EventEnvelope, EventType
from opd_contracts.vocabulary import MoveKind, Source

DAY = dt.date(2026, 3, 9)
ZONE = ZoneInfo("Asia/Kolkata")


def a_busy_morning(history: Any) -> list[EventEnvelope]:
    """Three doctors registered, each with two slots, five bookings and one moved."""
    events = []
    for _ in range(3):
        d = history()
        first, second = d.slot(DAY, capacity=10), d.slot(DAY, capacity=10, start=11)
        events += [d.registered(), d.opened(first), d.opened(second)]
        tokens = [d.token(first, Source.WALK_IN) for _ in range(5)]
        events += [d.allocated(token, d.held(first, n)) for n, token in enumerate(tokens, 1)]
        moved = tokens[0].model_copy(update={"slot_id": second.id,
                                             "moved_from_slot_id": first.id})
        events.append(d.event(EventType.TOKEN_MOVED, tokens=[moved], move_kind=MoveKind.DELAY,
                              slots=[d.held(first, 4), d.held(second, 1)]))
    return events


async def applied_with_statements(sessions: Any, events: list[EventEnvelope],
                                  through_sqlalchemy: list[str] | None = None,
                                  ) -> tuple[list[bool], list[str]]:
    """`apply_events` of the events, and every statement it sent to asyncpg (which runs
    them: `opd_shared.readmodel.driver`), but BEGIN, COMMIT and asyncpg's own look-ups of
    the types it meets for the first time; and, into `through_sqlalchemy`, those that went
    through SQLAlchemy's execution layers."""
    sent: list[str] = []
    engine = sessions.kw["bind"].sync_engine

    def count(query: Any) -> None:
        if query.query not in ("BEGIN;", "COMMIT;") and "typeinfo_tree" not in query.query:
            sent.append(query.query)

    def listen(dbapi_connection: Any, *args: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(count)

    def stop(dbapi_connection: Any, *args: Any) -> None:
        dbapi_connection.driver_connection.remove_query_logger(count)

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if through_sqlalchemy is not None:
            through_sqlalchemy.append(statement)

    event.listen(engine, "checkout", listen)
    event.listen(engine, "checkin", stop)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        return await apply_events(sessions, events, ZONE), sent
    finally:
        event.remove(engine, "checkout", listen)
        event.remove(engine, "checkin", stop)
        event.remove(engine, "before_cursor_execute", executed)


async def test_a_batch_writes_in_two_statements_whatever_it_holds(sessions, history):
    applied, sent = await applied_with_statements(sessions, a_busy_morning(history))

    async with sessions() as session:
        written = [await session.scalar(select(func.count()).select_from(model))
                   for model in (TokenChange, TokenMove, DailyTokens)]
    assert all(applied)
    assert written == [18, 3, 3]  # audit rows of 15 bookings and 3 moves; 3 doctors' day
    assert len([s for s in sent if "INSERT INTO" in s]) == 2


async def test_a_batch_on_known_doctors_and_slots_is_three_statements(sessions, history):
    """Its facts (with their audit rows and their doctors' locks), one read of the doctors,
    slots and tokens it names, and its write: each execution costs this process asyncpg's
    round of work (issue #13), and none SQLAlchemy's session, connection and result layers,
    which cost more (`opd_shared.readmodel.driver`). BEGIN and COMMIT are not counted."""
    morning = a_busy_morning(history)
    await apply_events(sessions, morning, ZONE)
    known = [e for e in morning if e.type is EventType.TOKEN_ALLOCATED]
    through_sqlalchemy: list[str] = []
    applied, sent = await applied_with_statements(sessions, [e.model_copy(update={
        "event_id": uuid.uuid4(), "seq": e.seq + 100}) for e in known], through_sqlalchemy)

    assert all(applied)
    assert len(sent) == 3, sent
    assert through_sqlalchemy == []


async def test_the_fact_table_is_indexed_by_its_key_alone(sessions):
    async with sessions() as session:
        names = (await session.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'event_facts'"))).all()
    assert names == ["pk_event_facts"]
