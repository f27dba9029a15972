"""The notifier's tables: what it knows of tokens (to tell whom, and when), what it decided
to tell (`notifications`, one per rule and token, so nothing is told twice), and every
attempt to send it (`sends`, one per notification and channel, with its outcome).

The snapshot tables are a read model like queue-view's (rebuildable by replay);
`notifications` and `sends` are this service's own record and survive a rebuild, which is
why a replayed history sends nothing again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opd_contracts import bounds
from opd_shared import readmodel

__all__ = ["AppliedEvent", "Base", "Doctor", "Notification", "OptOut", "Send", "Slot", "Token",
           "metadata"]

metadata = readmodel.read_model_metadata(index_names="ix_%(column_0_label)s")


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = dict(readmodel.TYPES)


class Doctor(readmodel.DoctorColumns, Base):
    __tablename__ = "doctors"


class Slot(readmodel.SlotColumns, Base):
    __tablename__ = "slots"


class Token(readmodel.TokenColumns, Base):
    """A token's latest snapshot: the phone (SMS) and channel (webhook) say where to tell."""

    __tablename__ = "tokens"
    __table_args__ = (
        # The live tokens by slot in queue order: a slot's first places are the first
        # entries of one range (`notifier.heads`, migration 0002).
        Index("ix_tokens_queue_place", "slot_id", text("(status = 'consulting') DESC"),
              text("is_emergency DESC"), text("priority_score DESC"), "sequence_number", "id",
              postgresql_where=text("status IN ('allocated', 'checked_in', 'consulting')")),
    )

    # Not indexed alone: tokens are read by slot only through ix_tokens_queue_place, and
    # each index is one more write of every booking and call (migration 0002).
    slot_id: Mapped[int] = mapped_column()
    token_number: Mapped[str] = mapped_column(String(40))
    doctor_id: Mapped[int]
    sequence_number: Mapped[int]
    patient_phone: Mapped[str | None] = mapped_column(String(bounds.PHONE_MAX))
    channel: Mapped[str | None] = mapped_column(String(bounds.CHANNEL_MAX))
    ticket: Mapped[str | None] = mapped_column(String(bounds.TICKET_MAX), index=True)
    # Not a snapshot's: the slot the token was last told `near` in, set with that
    # notification and left alone by the snapshot upserts (`notifier.heads`, migration 0004).
    near_told_slot: Mapped[int | None]


class AppliedEvent(readmodel.EventKeyColumns, Base):
    __tablename__ = "applied_events"

    applied_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class OptOut(Base):
    """A patient who asked for no messages about this token (by its ticket)."""

    __tablename__ = "opt_outs"

    token_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Notification(Base):
    """One thing a patient is told: `rule` is unique per token (near:{slot}, called,
    moved:{event}, cancelled), and the insert skips a present one."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("token_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column()  # read through the unique (token_id, rule)
    kind: Mapped[str] = mapped_column(String(16))  # near, called, moved, cancelled
    rule: Mapped[str] = mapped_column(String(64))
    token_number: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Send(Base):
    """One notification through one channel: pending until sent, failed while retried,
    dead after the last try (with why), skipped when the patient opted out."""

    __tablename__ = "sends"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),
                      Index(None, "status", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(16))  # webhook, sms
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, dead, skipped
    tries: Mapped[int] = mapped_column(server_default="0")
    due_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
