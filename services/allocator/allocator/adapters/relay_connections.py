"""The outbox relay's and the sweeper's own connections: a small asyncpg pool whose
connections look up unpublished events with plain index scans and commit their marks
without waiting for the disk, set once when they open.

Why a pool of its own, and asyncpg without SQLAlchemy:
- Each published event leaves a dead entry in the index of unpublished rows until vacuum
  comes. A plain index scan marks the dead entries it meets, so the next scan skips them; a
  bitmap scan, the planner's choice once the table has grown, visits every one of them every
  time (measured at 1,000 bookings/s offered: ~3,300 buffers and 6.9 ms a call for ~22 rows,
  a third of PostgreSQL's time in statements). The relay said so with `SET LOCAL
  enable_bitmapscan = off` in each transaction: a round trip a call. Here it is a setting
  of the connection (`server_settings`), sent once in its start-up packet.
- Through SQLAlchemy's async session a statement costs this process about 340 us of CPU,
  through asyncpg alone about 136 (bench/statement_costs.py). The relay's statements have
  nothing to gain from the session: no ORM, no error a caller classifies (a failed call is
  logged and left to the next kick or the sweeper), and no trace (they run outside any
  traced operation, so the SQL instrumentation's spans were strays the sampler dropped).
- Their commits do not wait for the WAL to reach the disk (`synchronous_commit = off`):
  what they commit is only the mark that events were published, and the broker confirmed
  those events before it. A crash that loses such a mark (at most the WAL writer's last
  200 ms) leaves the events unmarked, and the sweeper publishes them again: the same repeat
  as a crash between publishing and committing, which read models ignore by event id. The
  events themselves were committed, and flushed, by their round (whose connections keep
  `synchronous_commit = on`). Each relay call that published was a flush (fdatasync) of
  its own besides its round's; now the WAL writer, or the next round's commit, flushes it.
- Nothing is reset when a connection is given back (asyncpg's reset is a round trip of
  its own: `RESET ALL`, `UNLISTEN *`, ...): the relay sets nothing and listens to nothing,
  and a transaction left open is still rolled back by the pool.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from opd_shared.database import CONNECTION_SETTINGS

__all__ = ["RELAY_SETTINGS", "RelayRow", "relay_connections"]

RELAY_SETTINGS = {**CONNECTION_SETTINGS, "enable_bitmapscan": "off", "synchronous_commit": "off"}


class RelayRow(asyncpg.Record):
    """A row whose columns read as attributes, as SQLAlchemy's rows do (`event_messages`
    takes either)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


async def relay_connections(database_url: str, size: int = 2) -> asyncpg.Pool:
    """`size` connections at most: one for the relay, one for the sweeper."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size,
                                     server_settings=RELAY_SETTINGS, record_class=RelayRow,
                                     reset=_nothing_to_reset)


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """The pool rolls back an open transaction before calling this; there is nothing else."""
