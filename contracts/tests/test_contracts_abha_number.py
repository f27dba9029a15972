"""A token may carry the patient's ABHA number from any channel: checked once, kept one way."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from opd_contracts import BookToken, TokenRecord


def _book(abha: str | None) -> BookToken:
    return BookToken(doctor_id=1, slot_id=1, patient_name="Asha Rao", source="walk_in",
                     abha_number=abha)


@pytest.mark.parametrize("written", ["91123456789012", "91-1234-5678-9012", " 91-1234-5678-9012 "])
def test_an_abha_number_written_bare_or_printed_is_kept_as_abdm_prints_it(written: str) -> None:
    assert _book(written).abha_number == "91-1234-5678-9012"


@pytest.mark.parametrize("bad", ["9112345678901", "911234567890123", "91-12345-678-9012",
                                 "9112345678901a", "٩١١٢٣٤٥٦٧٨٩٠١٢", "91_1234_5678_9012", ""])
def test_anything_but_fourteen_digits_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="ABHA number"):
        _book(bad)


def test_a_token_recorded_before_abha_numbers_existed_still_parses() -> None:
    old = {"id": 5, "token_number": "DOC1-20260130-0001", "patient_name": "Asha Rao",
           "doctor_id": 1, "slot_id": 1, "source": "online", "status": "allocated",
           "priority_score": 30, "sequence_number": 1,
           "allocated_at": dt.datetime(2026, 1, 30, 9, tzinfo=dt.UTC).isoformat()}
    assert TokenRecord.model_validate(old).abha_number is None
    assert _book(None).abha_number is None
