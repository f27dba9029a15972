"""every move in the history names its kind (MoveKind), so no reader parses reasons

Events written before `move_kind` existed said why a token moved only in English. Read
models used to classify that prose; the kind is now read from the event alone, so the old
history is stamped here, once, by the same rules the prose was read with.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNNAMED = "jsonb_typeof(event->'move_kind') IS DISTINCT FROM 'string'"
_REASON = "coalesce(event->'tokens'->0->>'move_reason', event->>'reason', '')"


def upgrade() -> None:
    op.execute(f"""
        UPDATE outbox SET event = jsonb_set(event, '{{move_kind}}', to_jsonb(CASE
            WHEN {_REASON} ~* '^doctor delayed' THEN 'delay'
            WHEN {_REASON} ~* 'make room for an emergency' THEN 'emergency_bump'
            WHEN {_REASON} ~* '^fairness' THEN 'fairness'
            ELSE 'reallocation' END))
        WHERE event->>'type' = 'token.moved' AND {_UNNAMED}""")
    # A transfer booked the patient anew with a colleague, noting the slot they left.
    op.execute(f"""
        UPDATE outbox SET event = jsonb_set(event, '{{move_kind}}', '"transfer"')
        WHERE event->>'type' = 'token.allocated' AND {_UNNAMED}
          AND event->'tokens'->0->>'moved_from_slot_id' IS NOT NULL""")


def downgrade() -> None:
    pass  # the stamps are true of the old events too: nothing to undo
