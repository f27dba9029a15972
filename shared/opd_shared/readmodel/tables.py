"""The columns every read model keeps of the allocator's records, declared once.

Each read model declares its own tables (its names, its indexes, its extra columns) with
these mixins: the snapshot columns of a doctor and a slot are the same everywhere, and a
token's are the same but for the few each read model indexes or leaves out (queue-view
shows the patient; analytics never stores them). No foreign keys: one doctor's events may
arrive in any order (a token before its slot). Every row keeps `version`, the per-doctor
`seq` of the event that last wrote it, so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, String, Table, UnaryExpression
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opd_contracts.vocabulary import TokenStatus

__all__ = [
    "TYPES", "DoctorColumns", "SlotColumns", "TokenColumns", "queue_order",
    "read_model_metadata", "table_of",
]

# Ids and seqs outgrow 32 bits long before a hospital closes; every time is an instant.
TYPES: dict[Any, Any] = {int: BigInteger(), dt.datetime: DateTime(timezone=True)}


def read_model_metadata(index_names: str) -> MetaData:
    """Metadata naming constraints as the migrations did; only index names differ between
    the read models (their first migrations chose differently, and renaming is a migration)."""
    return MetaData(naming_convention={
        "ix": index_names,
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


def table_of(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, typed as one: SQLAlchemy types `__table__` as any FROM
    clause, which `insert()` and the kit do not take."""
    table = model.__table__
    assert isinstance(table, Table), f"{model.__name__} is not mapped to one table"
    return table


class DoctorColumns:
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str]
    specialization: Mapped[str]
    room: Mapped[str | None]
    is_active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    version: Mapped[int]


class SlotColumns:
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    doctor_id: Mapped[int]
    date: Mapped[dt.date]
    start_time: Mapped[dt.time]
    end_time: Mapped[dt.time]
    max_capacity: Mapped[int]
    current_count: Mapped[int]
    overflow_count: Mapped[int]
    is_active: Mapped[bool]
    version: Mapped[int]


class TokenColumns:
    """A token's columns but `token_number` and `doctor_id`, which each read model indexes
    its own way, and the patient's, which only queue-view keeps."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot_id: Mapped[int] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    priority_score: Mapped[int]
    is_emergency: Mapped[bool]
    is_overflow: Mapped[bool]
    allocated_at: Mapped[dt.datetime]
    checked_in_at: Mapped[dt.datetime | None]
    consultation_started_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    version: Mapped[int]


def queue_order(tokens: Table) -> tuple[UnaryExpression[Any], ...]:
    """`opd_contracts.vocabulary.queue_key` in SQL, for a read model's tokens table (a
    `TokenColumns` table with `sequence_number`): the one consulting, then emergencies, then
    the higher score, then arrival, and the id where all else is equal. Queue-view's and
    the notifier's tests prove it equal to `queue_key`."""
    return ((tokens.c.status == TokenStatus.CONSULTING.value).desc(),
            tokens.c.is_emergency.desc(), tokens.c.priority_score.desc(),
            tokens.c.sequence_number.asc(), tokens.c.id.asc())
