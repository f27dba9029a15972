"""Analytics' own database: sessions, where its migrations live, and engines of a chosen size."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from opd_shared.database import POOLS, Pool, new_engine

__all__ = ["MIGRATIONS_DIR", "create_engine", "create_session_factory"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(url: str, pool_size: int) -> AsyncEngine:
    """For tests and benchmarks, which choose how many connections they hold; the service's
    own engine is `opd_shared.database.service_engine`."""
    return new_engine(url, Pool(pool_size, POOLS["analytics"].overflow))


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
