"""Tables of the read model: the latest snapshot of every record, and what was applied.

No foreign keys: events of one doctor may arrive in any order (a token before its slot),
and the read model must accept them all; each row keeps the `version` (the per-doctor
`seq`) of the event that last wrote it, so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Index, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opd_contracts import bounds

__all__ = ["AppliedEvent", "Base", "Doctor", "DoctorProgress", "Slot", "Token", "metadata"]

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        int: BigInteger(),
        dt.datetime: DateTime(timezone=True),
    }


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
    __table_args__ = (Index(None, "doctor_id", "date"),)

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
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token_number: Mapped[str] = mapped_column(String(40), index=True)
    patient_name: Mapped[str]
    patient_phone: Mapped[str | None]
    doctor_id: Mapped[int] = mapped_column(index=True)
    slot_id: Mapped[int] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    priority_score: Mapped[int]
    sequence_number: Mapped[int]
    is_emergency: Mapped[bool]
    is_overflow: Mapped[bool]
    allocated_at: Mapped[dt.datetime]
    checked_in_at: Mapped[dt.datetime | None]
    consultation_started_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    notes: Mapped[str | None]
    moved_from_slot_id: Mapped[int | None]
    move_reason: Mapped[str | None]
    overtaken_count: Mapped[int] = mapped_column(server_default="0")
    channel: Mapped[str | None] = mapped_column(String(bounds.CHANNEL_MAX))
    version: Mapped[int]


class AppliedEvent(Base):
    """One row per distinct event applied: a redelivered event finds its row and stops."""

    __tablename__ = "applied_events"
    __table_args__ = (Index(None, "doctor_id", "seq"),)

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    doctor_id: Mapped[int]
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    applied_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class DoctorProgress(Base):
    """Per doctor: the highest seq seen and how many distinct events were applied.

    `applied_count < max_seq` means some event of that doctor has not arrived (yet).
    """

    __tablename__ = "doctor_progress"

    doctor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    max_seq: Mapped[int]
    applied_count: Mapped[int]
