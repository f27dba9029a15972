"""Failure text keeps what an operator needs (classes, columns, ids) and loses the patient."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opd_contracts import CommandEnvelope
from opd_shared.redact import redact
from opd_shared.retries import reason_for

NAME, PHONE = "Zorawar Quill", "+91 98765 43210"


@pytest.mark.parametrize("text", [
    f"invalid input for query argument $3: '{NAME}' ('str' object cannot be interpreted)",
    f'null value in column "slot_id" violates not-null constraint\nDETAIL:  Failing row '
    f"contains (7, {NAME}, {PHONE}).",
    f"Token(id=7, patient_name='{NAME}', patient_phone='{PHONE}', notes=None)",
    f'{{"patient_name": "{NAME}", "patient_phone": "{PHONE}", "slot_id": 12}}',
    f"call {PHONE} or 9876543210 about {NAME!r}",
])
def test_redacted_text_shows_neither_the_name_nor_the_phone(text):
    redacted = redact(text)

    assert NAME not in redacted and PHONE not in redacted and "9876543210" not in redacted


def test_redacted_text_keeps_ids_dates_classes_and_identifiers():
    text = ('IntegrityError: null value in column "slot_id" of relation "tokens"; command '
            "123e4567-e89b-12d3-a456-426614174000, token DOC1-20260130-0042 on 2026-01-30, "
            "routing key 'token.allocated'")

    assert redact(text) == text


def test_a_refused_command_is_described_without_its_input():
    body = ('{"command_id": "123e4567-e89b-12d3-a456-426614174000", "issued_at": '
            '"2026-01-30T09:00:00Z", "fingerprint": "f", "command": {"type": "book_token", '
            f'"doctor_id": 1, "slot_id": 1, "patient_name": "{NAME}", "patient_phone": '
            f'"{PHONE} call me", "source": "online"}}}}')
    with pytest.raises(ValidationError) as refused:
        CommandEnvelope.model_validate_json(body)

    described = reason_for(refused.value)

    assert described.startswith("ValidationError: 1 errors; first at command.book_token."
                                "patient_phone")
    assert NAME not in described and PHONE not in described
