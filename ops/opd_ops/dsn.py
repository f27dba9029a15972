"""PostgreSQL addresses as asyncpg takes them: the operators' tools talk to the databases
directly, without SQLAlchemy's driver prefix."""

from __future__ import annotations

__all__ = ["server_dsn"]


def server_dsn(postgres_url: str) -> str:
    """The server of `postgres_url` (`postgresql+asyncpg://user@host:port`), no database."""
    return postgres_url.replace("postgresql+asyncpg://", "postgresql://").rstrip("/")
