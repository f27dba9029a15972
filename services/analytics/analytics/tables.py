"""Analytics' tables: the append-only fact table of events, and the current state they left.

No foreign keys between them: one doctor's events may arrive in any order (a token before
its slot). Every current-state row keeps `version`, the per-doctor `seq` of the event that
last wrote it, so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, MetaData, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Doctor", "EventFact", "Slot", "Token", "metadata"]

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        int: BigInteger(),
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB(),
    }


class EventFact(Base):
    """One row per event ever applied; its key makes a redelivery a no-op."""

    __tablename__ = "event_facts"
    __table_args__ = (Index(None, "doctor_id", "seq"), Index(None, "type", "occurred_at"))

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    doctor_id: Mapped[int]
    seq: Mapped[int]
    occurred_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    payload: Mapped[dict[str, Any]]


class Doctor(Base):
    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str]
    specialization: Mapped[str]
    room: Mapped[str | None]
    is_active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    version: Mapped[int]


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (Index(None, "date"), Index(None, "doctor_id", "date"))

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


class Token(Base):
    """A token's latest snapshot, without the patient's name or phone: figures need neither.

    Beyond the snapshot: `day` (its slot's date, once that slot is known), its doctor's
    `specialization` (once that doctor is known) and its waits in minutes (see
    `rollups.wait_minutes`), for figures filtered by doctor or specialization.
    """

    __tablename__ = "tokens"
    __table_args__ = (
        # Covering: waits filtered by doctor read only this index.
        Index(None, "doctor_id", "day", postgresql_include=[
            "source", "booked_to_check_in", "check_in_to_start", "booked_to_start",
            "consultation"]),
        Index(None, "token_number"),  # the audit trail looked up by the printed number
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token_number: Mapped[str]
    doctor_id: Mapped[int]
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
    day: Mapped[dt.date | None]
    specialization: Mapped[str | None]
    booked_to_check_in: Mapped[int | None] = mapped_column(Integer)
    check_in_to_start: Mapped[int | None] = mapped_column(Integer)
    booked_to_start: Mapped[int | None] = mapped_column(Integer)
    consultation: Mapped[int | None] = mapped_column(Integer)
