"""What the gateway's unit tests share."""

from __future__ import annotations

import datetime as dt
import uuid

from opd_contracts import BookToken, CommandEnvelope
from opd_contracts.vocabulary import Source


def booking_envelope() -> CommandEnvelope:
    """A walk-in booking's command, with an id of its own."""
    return CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="0" * 64,
        actor="test", command=BookToken(patient_name="Asha", doctor_id=1, slot_id=17,
                                        source=Source.WALK_IN, channel="desk"))
