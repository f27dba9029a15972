"""Sends what was decided, after the decision committed: each due send, through its
channel, with retries and a dead letter.

Every `send_poll_seconds` a process takes the due sends (`FOR UPDATE SKIP LOCKED`: several
notifier processes never take the same one), and for each, in its own transaction, sends
and records the outcome: `sent`; or, on a failure, the reason and the next try after
`retry_base_seconds x 2^(tries-1)`; after `max_tries`, `dead` with the last reason. A send
held by quiet hours waits until they end. The row stays locked while the HTTP call runs
(at most `webhook_timeout_seconds`): that lock is what keeps a second process from
sending it at the same time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.channels import Channel, Outgoing, SendFailed
from notifier.models import Notification, Send, Token
from notifier.quiet import held_until
from notifier.settings import NotifierSettings

__all__ = ["Sender"]

log = logging.getLogger(__name__)
TAKEN_AT_ONCE = 20
# On `ix_sends_status` (status, due_at): one index probe.
_ANY_DUE = select(exists().where(Send.status == "pending", Send.due_at <= bindparam("now")))


class Sender:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: NotifierSettings,
                 channels: dict[str, Channel], clock: Callable[[], dt.datetime]) -> None:
        self.sessions, self.settings, self.channels, self.clock = (
            sessions, settings, channels, clock)

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:  # the database away: try again at the next tick
                log.warning("notifier cannot send now; will retry", exc_info=True)
            await asyncio.sleep(self.settings.send_poll_seconds)

    async def poll_once(self) -> int:
        """Send all that is due now; how many were handled. Asks first whether anything is:
        most ticks of an idle process find nothing, and taking (`send_due`) is a transaction
        round an ORM join inside (BEGIN, the SELECT ... FOR UPDATE, ROLLBACK: three round
        trips) where asking is one statement with no transaction around it."""
        async with self.sessions() as session:
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            if not await session.scalar(_ANY_DUE, {"now": self.clock()}):
                return 0
        handled = 0
        while taken := await self.send_due():
            handled += taken
        return handled

    async def send_due(self) -> int:
        """Send up to TAKEN_AT_ONCE due sends; how many were handled."""
        handled = 0
        for _ in range(TAKEN_AT_ONCE):
            async with self.sessions.begin() as session:
                row = (await session.execute(
                    select(Send, Notification, Token)
                    .join(Notification, Notification.id == Send.notification_id)
                    .join(Token, Token.id == Notification.token_id, isouter=True)
                    .where(Send.status == "pending", Send.due_at <= self.clock())
                    .order_by(Send.due_at, Send.id).limit(1)
                    .with_for_update(of=Send, skip_locked=True))).first()
                if row is None:
                    return handled
                await self._attempt(*row)
                handled += 1
        return handled

    async def _attempt(self, send: Send, notification: Notification, token: Token | None) -> None:
        now = self.clock()
        settings = self.settings
        quiet = held_until(now, settings.quiet_start, settings.quiet_end, settings.timezone)
        if quiet is not None:
            send.due_at = quiet
            return
        message = Outgoing(
            send_id=send.id, notification_id=notification.id, kind=notification.kind,
            token_id=notification.token_id, token_number=notification.token_number,
            text=notification.text, details=notification.details,
            app=token.channel if token else None, phone=token.patient_phone if token else None)
        send.tries += 1
        try:
            await self.channels[send.channel].send(message)
        except SendFailed as failure:
            send.last_error = failure.reason
            if send.tries >= settings.max_tries:
                send.status = "dead"
                log.warning("notification %s by %s dead after %d tries: %s", notification.id,
                            send.channel, send.tries, failure.reason)
            else:
                send.due_at = now + dt.timedelta(
                    seconds=settings.retry_base_seconds * 2 ** (send.tries - 1))
            return
        send.status, send.sent_at = "sent", now
