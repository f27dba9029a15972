"""Analytics' own database: engine, sessions and where its migrations live."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from opd_shared.database import new_engine

__all__ = ["MIGRATIONS_DIR", "create_engine", "create_session_factory"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(url: str, pool_size: int) -> AsyncEngine:
    # pre_ping: a connection that died with a database restart is replaced, not handed out
    return new_engine(url, pool_size=pool_size, max_overflow=4, pool_pre_ping=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
