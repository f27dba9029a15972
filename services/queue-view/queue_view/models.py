"""Tables of the read model: the latest snapshot of every record, and what was applied.

No foreign keys: events of one doctor may arrive in any order (a token before its slot),
and the read model must accept them all; each row keeps the `version` (the per-doctor
`seq`) of the event that last wrote it, so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import Index, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opd_contracts import bounds
from opd_shared import readmodel

__all__ = ["AppliedEvent", "Base", "Doctor", "DoctorProgress", "Slot", "Token", "metadata"]

metadata = readmodel.read_model_metadata(index_names="ix_%(column_0_label)s")


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = dict(readmodel.TYPES)


class Doctor(readmodel.DoctorColumns, Base):
    __tablename__ = "doctors"


class Slot(readmodel.SlotColumns, Base):
    __tablename__ = "slots"
    __table_args__ = (Index(None, "doctor_id", "date"),)


class Token(readmodel.TokenColumns, Base):
    """A token's latest snapshot, with the patient's name and phone (analytics keeps neither)."""

    __tablename__ = "tokens"

    token_number: Mapped[str] = mapped_column(String(40), index=True)
    patient_name: Mapped[str]
    patient_phone: Mapped[str | None]
    doctor_id: Mapped[int] = mapped_column(index=True)
    sequence_number: Mapped[int]
    notes: Mapped[str | None]
    moved_from_slot_id: Mapped[int | None]
    move_reason: Mapped[str | None]
    overtaken_count: Mapped[int] = mapped_column(server_default="0")
    channel: Mapped[str | None] = mapped_column(String(bounds.CHANNEL_MAX))
    abha_number: Mapped[str | None] = mapped_column(String(bounds.ABHA_NUMBER_MAX))
    # The patient's live page (/t/{ticket}); not unique: a transfer keeps it on the new token.
    ticket: Mapped[str | None] = mapped_column(String(bounds.TICKET_MAX), index=True)


class AppliedEvent(readmodel.EventKeyColumns, Base):
    """One row per distinct event applied: a redelivered event finds its row and stops."""

    __tablename__ = "applied_events"
    __table_args__ = (Index(None, "doctor_id", "seq"),)

    applied_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class DoctorProgress(Base):
    """Per doctor: the highest seq seen and how many distinct events were applied.

    `applied_count < max_seq` means some event of that doctor has not arrived (yet).
    """

    __tablename__ = "doctor_progress"

    doctor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    max_seq: Mapped[int]
    applied_count: Mapped[int]
