"""What keeps applying a batch cheap (issue #13): its claim and the snapshots of doctors,
slots and tokens are one statement, whatever the batch holds (they were four), and so are
the notifications and their sends (they were two); a batch that comes again changes nothing
and tells nobody anything twice."""

from __future__ import annotations

from sqlalchemy import event as engine_events
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from notifier.models import Notification, Send, Token
from notifier.projection import Notifying, apply_events
from opd_contracts import EventType
from opd_contracts.vocabulary import TokenStatus
from opd_shared.readmodel.driver import batch_transaction

from .conftest import at


async def test_a_batch_is_written_in_two_statements(notifier, hall) -> None:
    slot = hall.slot()
    booked = [hall.token(slot) for _ in range(4)]
    batch = [hall.event(EventType.TOKEN_ALLOCATED, doctor=hall.doctor(), tokens=[token],
                        slots=[slot.model_copy(update={"current_count": n})])
             for n, token in enumerate(booked, 1)]
    batch.append(hall.event(EventType.TOKEN_STATUS_CHANGED, tokens=[
        booked[0].model_copy(update={"status": TokenStatus.CONSULTING})]))
    notifying = Notifying(notifier.settings, frozenset({"web-app"}), sms=True)
    engine = create_async_engine(notifier.settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    statements: list[str] = []

    def seen(query) -> None:  # asyncpg's, which runs them (opd_shared.readmodel.driver)
        if "typeinfo_tree" not in query.query:  # asyncpg's own look-up of a new type
            statements.append(" ".join(query.query.split()))

    def listen(dbapi_connection, *args) -> None:
        dbapi_connection.driver_connection.add_query_logger(seen)

    through_sqlalchemy: list[str] = []  # its layers cost more than the statements' own work

    def executed(conn, cursor, statement, *args) -> None:
        through_sqlalchemy.append(statement)

    engine_events.listen(engine.sync_engine, "checkout", listen)
    engine_events.listen(engine.sync_engine, "before_cursor_execute", executed)
    try:
        async with batch_transaction(sessions) as connection:
            first = await apply_events(connection, batch, notifying, at("09:05"))
        async with batch_transaction(sessions) as connection:
            again = await apply_events(connection, batch, notifying, at("09:05"))
        applying_through_sqlalchemy = list(through_sqlalchemy)  # not the reads below
        async with sessions() as session:
            told = (await session.execute(
                select(Notification.id, Send.channel).join(Send).where(
                    Notification.token_id.in_([t.id for t in booked])).order_by(Send.id))).all()
            status = await session.scalar(select(Token.status).where(Token.id == booked[0].id))
    finally:
        engine_events.remove(engine.sync_engine, "checkout", listen)
        engine_events.remove(engine.sync_engine, "before_cursor_execute", executed)
        await engine.dispose()

    assert (first, again) == ([True] * 5, [False] * 5)
    assert status == "consulting"
    # Called, and the next two near (two ahead allowed): each by webhook, then SMS.
    notifications = sorted({notification for notification, _ in told})
    assert told == [(n, channel) for n in notifications for channel in ("webhook", "sms")]
    assert len(notifications) == 3
    writes = [s.split(" (")[0] for s in statements if s.startswith(("INSERT", "WITH"))]
    assert writes == ["WITH write_claim AS", "WITH write_notify AS",
                      "WITH write_claim AS"]  # none told again
    assert applying_through_sqlalchemy == []
