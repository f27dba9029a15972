"""Create a service's database if absent and bring its schema to the newest migration.

Each service owns one PostgreSQL database and its own Alembic migrations; this module is
the one place that knows how to apply them, from start-up code, tests or the command line.
It also builds every engine the services use (`new_engine`), so that none forgets to keep
statement parameters (patients' names and phones among them) out of errors and logs, and
decides each service's pool (`POOLS`, `service_engine`).
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from opd_shared.settings import ServiceSettings

__all__ = ["PLANNED_ONCE", "POOLS", "Pool", "drop_database", "ensure_database", "is_transient",
           "is_unreachable", "migrate", "new_engine", "own_database", "planned_once",
           "run_migrations_from_env", "service_engine"]

log = logging.getLogger(__name__)


_DOWN = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
         asyncpg.AdminShutdownError, asyncpg.ConnectionDoesNotExistError)


def is_unreachable(error: BaseException) -> bool:
    """The database could not be reached (restart, network), as opposed to refusing the work:
    worth waiting for, never worth giving a message up for. Not every InterfaceError
    qualifies: asyncpg reports a value it cannot encode as one."""
    if isinstance(error, (OSError, TimeoutError, OperationalError, *_DOWN)):
        return True
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated or isinstance(error.orig, _DOWN)
        or isinstance(getattr(error.orig, "__cause__", None), _DOWN))


@dataclass(frozen=True)
class Pool:
    size: int
    overflow: int  # opened past `size` under a burst, closed again once idle


# Every statement is planned for its own parameters, every time. PostgreSQL otherwise keeps
# a prepared statement's generic plan after five runs, made from the statistics of that
# moment; in a new deployment (or a bench) the tables are empty then, and a plan chosen
# for an empty table scans the whole table as it grows, until autovacuum's ANALYZE, which
# a busy machine puts off for minutes. Seen in the bench's 60 s runs at 1,000 bookings/s:
# PostgreSQL at 82% of a core for 180 decided bookings/s, start_round at 3.7-4.9 ms a call
# (0.2 before), the relay's outbox update at 8.8 ms (an index look-up: 0.26 ms). A custom
# plan reads the table's real size at planning time. Planning costs some 50-300 us a
# statement; a scan of a growing table costs milliseconds and grows.
CONNECTION_SETTINGS = {"plan_cache_mode": "force_custom_plan"}

# Except on connections kept for statements whose plan cannot depend on the tables'
# statistics: inserts from arrays, each row found by its ON CONFLICT key's unique index, and
# nothing else read from a table (queue-view applies a batch in one such statement). Their
# generic plan is the custom plan without the planning: PostgreSQL plans them once per
# connection. On connections of their own (`planned_once`), so that no other statement
# gets a generic plan. Named, so that each backend says whose it is (pg_stat_activity).
PLANNED_ONCE = {"plan_cache_mode": "force_generic_plan", "application_name": "planned once"}

# Every service's pool, decided here. Connections are not checked before use (pre-ping):
# asyncpg's ping is three round trips (BEGIN, ";", ROLLBACK), measured at 127 us of the
# service's CPU and 66 us of PostgreSQL's per checkout (about a quarter of a short
# transaction's cost), paid by every consumer batch and request to save one failure per
# database restart. Without it, the first use of a connection that died with a restart
# fails as unreachable: SQLAlchemy then discards every connection of the pool opened
# before, consumers retry it as transient (`apply_patiently`), and a request gets 503 with
# Retry-After (`opd_shared.middleware`) once.
POOLS = {
    "allocator": Pool(10, 10),  # commit lanes, partitions' deciders (the relay and the
    # sweeper have a pool of their own, allocator.adapters.relay_connections: 2 more)
    "queue_view": Pool(10, 10),  # the consumer, the display feed and HTTP reads
    "analytics": Pool(5, 4),  # the consumer's one, four for the figures' queries
    "interop": Pool(3, 3),  # ABDM shares and their visits; FHIR reads go to queue-view
    "notifier": Pool(4, 4),  # the consumer, the sender and the staff list
    "access": Pool(2, 2),  # keys are cached for seconds: a look-up is rare
}


def new_engine(url: str, pool: Pool | None = None, **options: object) -> AsyncEngine:
    """An engine whose errors and echo show `[SQL parameters hidden]`, never the values: a
    failed booking's error would otherwise carry the patient's name and phone into the log.
    (PostgreSQL's own DETAIL, which can show the failing row, is the log formatter's job.)"""
    if pool is not None:
        options = {"pool_size": pool.size, "max_overflow": pool.overflow, **options}
    # Merged into the caller's own connection arguments (the key store passes timeouts).
    given = options.pop("connect_args", None)
    connect_args: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    connect_args["server_settings"] = {**CONNECTION_SETTINGS,
                                       **connect_args.get("server_settings", {})}
    options["connect_args"] = connect_args
    # Looked up now, not at import: tracing, once on, wraps it (opd_shared.tracing).
    return sa_asyncio.create_async_engine(url, hide_parameters=True, **options)


def planned_once(stack: AsyncExitStack, settings: ServiceSettings, pool: Pool = Pool(1, 1),
                 server_settings: dict[str, str] = PLANNED_ONCE
                 ) -> async_sessionmaker[AsyncSession]:
    """Sessions on the service's database, on connections of their own, whose statements
    are planned once per connection (`PLANNED_ONCE`): only for statements that read no table
    but through their ON CONFLICT keys (a test holds each such statement to it), or, with
    other `server_settings`, what they make safe (`opd_shared.readmodel.planning`). One
    connection by default: a read model's consumer applies one batch at a time."""
    engine = new_engine(settings.database_url, pool,
                        connect_args={"server_settings": server_settings})
    stack.push_async_callback(engine.dispose)
    return async_sessionmaker(engine, expire_on_commit=False)


def service_engine(settings: ServiceSettings) -> AsyncEngine:
    """The engine of the service's own database, pooled as POOLS (or OPD_DB_POOL_SIZE) says."""
    pool = POOLS[settings.service]
    if settings.db_pool_size is not None:
        pool = Pool(settings.db_pool_size, pool.overflow)
    return new_engine(settings.database_url, pool)


async def own_database(stack: AsyncExitStack, settings: ServiceSettings, migrations: Path,
                       ) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """A service's own database as its bootstrap needs it: migrated, pooled as POOLS says,
    disposed of when `stack` closes, and a session factory whose objects outlive commits."""
    await migrate(settings.database_url, migrations)
    engine = service_engine(settings)
    stack.push_async_callback(engine.dispose)
    return engine, async_sessionmaker(engine, expire_on_commit=False)


def _server_dsn(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    name = parsed.database or ""
    server = parsed.set(drivername="postgresql", database="postgres")
    return server.render_as_string(hide_password=False), name


async def ensure_database(url: str) -> None:
    dsn, name = _server_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("created database %s", name)
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                # Another process created it first. PostgreSQL reports a race it loses
                # inside CREATE DATABASE as a unique violation on pg_database, not as
                # a duplicate database.
                pass
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    dsn, name = _server_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _upgrade(connection: Connection, migrations: Path, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    if revision == "base":
        command.downgrade(config, "base")
    else:
        command.upgrade(config, revision)


async def migrate(url: str, migrations: Path, revision: str = "head") -> None:
    """Create the database if needed and migrate it; concurrent callers wait for each other."""
    await ensure_database(url)
    engine = new_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('opd-migrations'))"))
            await conn.run_sync(_upgrade, migrations, revision)
    finally:
        await engine.dispose()


def run_migrations_from_env(metadata: MetaData) -> None:
    """The body of every service's Alembic `env.py`: use the connection `migrate` passed."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through opd_shared.database.migrate()")
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


# Beyond an unreachable server, what PostgreSQL says to simply try again: a serialization
# failure, a deadlock (two replicas' batches locking rows in opposite orders), too many
# connections.
RETRY_SQLSTATES = frozenset({"40001", "40P01", "53300"})


def is_transient(error: BaseException) -> bool:
    """True when the database was away or asked to be retried, as opposed to refusing
    this event (a value out of range, a broken constraint, a bug)."""
    if is_unreachable(error) or isinstance(error, PoolTimeout):  # pool: every connection busy
        return True
    orig = error.orig if isinstance(error, DBAPIError) else error
    return getattr(orig, "sqlstate", None) in RETRY_SQLSTATES
