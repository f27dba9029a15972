"""What keeps applying a batch cheap (issue #13): its claim and the snapshots of doctors,
slots and tokens are one statement, whatever the batch holds (they were four), and a batch
that comes again changes nothing and tells nobody anything twice."""

from __future__ import annotations

from sqlalchemy import event as engine_events
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from notifier.models import Notification, Token
from notifier.projection import Notifying, apply_events
from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus

from .conftest import at


async def test_a_batch_claims_and_keeps_its_snapshots_in_one_statement(notifier, hall) -> None:
    slot = hall.slot()
    booked = [hall.token(slot) for _ in range(4)]
    batch = [hall.event(EventType.TOKEN_ALLOCATED, doctor=hall.doctor(), tokens=[token],
                        slots=[slot.model_copy(update={"current_count": n})])
             for n, token in enumerate(booked, 1)]
    batch.append(hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
        booked[0].model_copy(update={"status": TokenStatus.CONSULTING})]))
    notifying = Notifying(notifier.settings, frozenset({"web-app"}), sms=False)
    engine = create_async_engine(notifier.settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    engine_events.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with sessions.begin() as session:
            first = await apply_events(session, batch, notifying, at("09:05"))
        async with sessions.begin() as session:
            again = await apply_events(session, batch, notifying, at("09:05"))
        async with sessions() as session:
            told = await session.scalar(select(func.count()).select_from(Notification).where(
                Notification.token_id.in_([t.id for t in booked])))
            status = await session.scalar(select(Token.status).where(Token.id == booked[0].id))
    finally:
        engine_events.remove(engine.sync_engine, "before_cursor_execute", seen)
        await engine.dispose()

    assert (first, again) == ([True] * 5, [False] * 5)
    assert status == "consulting"
    assert told == 3  # called, and the next two near (two ahead allowed)
    writes = [s for s in statements if s.startswith(("INSERT INTO applied_events",
              "INSERT INTO doctors", "INSERT INTO slots", "INSERT INTO tokens", "WITH claimed"))]
    assert len(writes) == 2  # one per batch
    assert all(s.startswith("WITH claimed") for s in writes)
