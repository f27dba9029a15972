"""Log lines carry the correlation id of the request they belong to, and no patient."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from opd_shared.database import new_engine
from opd_shared.logging import configure_logging, correlation_id, formatter


def test_a_json_line_carries_the_correlation_id_set_for_the_request(capsys):
    configure_logging("test-service", as_json=True)
    token = correlation_id.set("6f1d8a52-0000-4000-8000-000000000001")

    logging.getLogger("opd.test").info("booked %s", "DOC1-20991231-0001")
    correlation_id.reset(token)
    logging.getLogger("opd.test").info("no request here")

    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines()[-2:])
    assert first["correlation_id"] == "6f1d8a52-0000-4000-8000-000000000001"
    assert first["service"] == "test-service" and first["message"] == "booked DOC1-20991231-0001"
    assert "correlation_id" not in second


async def test_a_database_error_is_logged_without_the_patient_it_was_about(infra):
    """PostgreSQL's DETAIL shows the failing row, whatever the engine hides."""
    engine = new_engine(f"{infra.postgres_url}/postgres")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TEMP TABLE booked (name text, slot_id int NOT NULL)"))
            with pytest.raises(DBAPIError) as refused:
                await conn.execute(text("INSERT INTO booked VALUES (:name, NULL)"),
                                   {"name": "Zorawar Quill"})
    finally:
        await engine.dispose()
    error = refused.value
    record = logging.LogRecord("opd.test", logging.ERROR, __file__, 1, "booking failed", None,
                               (type(error), error, error.__traceback__))

    raw, written = logging.Formatter().format(record), formatter("allocator").format(record)

    assert "Failing row" in raw and "Zorawar Quill" in raw  # as PostgreSQL says it
    assert "not-null constraint" in written and "Zorawar Quill" not in written
