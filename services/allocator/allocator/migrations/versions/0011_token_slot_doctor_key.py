"""A token's slot and doctor become one foreign key, (slot_id, doctor_id) to slots (id,
doctor_id), instead of one to slots and one to doctors.

Why: each new token (every booking, every transfer's new token) ran both foreign keys'
checks, each a statement planned for its parameters and a key-share lock on a row: 10% of
the allocator's backends' CPU (perf, BENCHMARKS.md issue #13's eighth session). Now it is
one check of one row of slots. Nothing is lost: a slot's doctor is a doctor (slots' own
foreign key), so a token's doctor still is one; and the database now also refuses a token
whose doctor is not its slot's, which before only the domain prevented.

The referenced columns need a unique constraint of their own (`uq_slots_id_doctor_id`);
its index is written once a slot, never by a booking (a booking's update of a slot's
counts changes neither column).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_unique_constraint("uq_slots_id_doctor_id", "slots", ["id", "doctor_id"])
    op.drop_constraint("fk_tokens_doctor_id_doctors", "tokens", type_="foreignkey")
    op.drop_constraint("fk_tokens_slot_id_slots", "tokens", type_="foreignkey")
    op.create_foreign_key("fk_tokens_slot_id_slots", "tokens", "slots",
                          ["slot_id", "doctor_id"], ["id", "doctor_id"])


def downgrade() -> None:
    op.drop_constraint("fk_tokens_slot_id_slots", "tokens", type_="foreignkey")
    op.create_foreign_key("fk_tokens_slot_id_slots", "tokens", "slots", ["slot_id"], ["id"])
    op.create_foreign_key("fk_tokens_doctor_id_doctors", "tokens", "doctors",
                          ["doctor_id"], ["id"])
    op.drop_constraint("uq_slots_id_doctor_id", "slots", type_="unique")
