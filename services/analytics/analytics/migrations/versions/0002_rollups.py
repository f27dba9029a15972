"""Roll-ups kept with each fact, a token's day and waits, and the moves of tokens.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger()
WAITS = ("booked_to_check_in", "check_in_to_start", "booked_to_start", "consultation")
TOKEN_COUNTS = ("allocated", "checked_in", "consulting", "completed", "cancelled", "no_show",
                "emergencies", "overflows")
SOURCES = ("priority", "follow_up", "online", "walk_in")
ROLLUPS = ("daily_tokens", "hospital_tokens", "daily_capacity", "hourly_arrivals",
           "hospital_arrivals", "daily_waits")


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(name, _BIG, nullable=False) for name in names]


def _keys(*columns: tuple[str, sa.types.TypeEngine]) -> list[sa.Column]:
    return [sa.Column(name, kind, nullable=False) for name, kind in columns]


def _table(name: str, keys: list[tuple[str, sa.types.TypeEngine]], counts: tuple[str, ...],
           ) -> None:
    op.create_table(name, *_keys(*keys), *_counts(*counts),
                    sa.PrimaryKeyConstraint(*(k for k, _ in keys), name=f"pk_{name}"))


def _rollups() -> None:
    day, doctor, source = ("day", sa.Date()), ("doctor_id", _BIG), ("source", sa.String(16))
    hour = ("hour", sa.SmallInteger())
    _table("daily_tokens", [doctor, day, source], TOKEN_COUNTS)
    _table("hospital_tokens", [day, source], TOKEN_COUNTS)
    _table("daily_capacity", [doctor, day], ("slots", "capacity", "held"))
    _table("hourly_arrivals", [doctor, day, hour], SOURCES)
    _table("hospital_arrivals", [day, hour], SOURCES)
    _table("daily_waits", [day, source, ("metric", sa.String(24)), ("minutes", _BIG)],
           ("tokens",))


def _moves() -> None:
    op.create_table(
        "token_moves",
        *_keys(("event_id", sa.Uuid()), ("token_id", _BIG), ("day", sa.Date()),
               ("doctor_id", _BIG), ("source", sa.String(16)), ("kind", sa.String(24))),
        sa.Column("reason", sa.Text(), nullable=True),
        *_keys(("from_slot_id", _BIG), ("to_slot_id", _BIG)),
        sa.Column("minutes", _BIG, nullable=True),
        sa.Column("to_later_day", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "token_id", name="pk_token_moves"),
    )
    op.create_index("ix_token_moves_day_kind", "token_moves", ["day", "kind"])
    op.create_index("ix_token_moves_doctor_id_day", "token_moves", ["doctor_id", "day"])


def upgrade() -> None:
    op.add_column("tokens", sa.Column("day", sa.Date(), nullable=True))
    for name in WAITS:
        op.add_column("tokens", sa.Column(name, sa.Integer(), nullable=True))
    op.drop_index("ix_tokens_doctor_id", table_name="tokens")
    op.create_index("ix_tokens_doctor_id_day", "tokens", ["doctor_id", "day"],
                    postgresql_include=["source", *WAITS])
    _rollups()
    _moves()


def downgrade() -> None:
    for table in ("token_moves", *ROLLUPS):
        op.drop_table(table)
    op.drop_index("ix_tokens_doctor_id_day", table_name="tokens")
    op.create_index("ix_tokens_doctor_id", "tokens", ["doctor_id"])
    for name in ("day", *WAITS):
        op.drop_column("tokens", name)
