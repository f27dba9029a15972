"""Log lines carry the correlation id of the request they belong to."""

from __future__ import annotations

import json
import logging

from opd_shared.logging import configure_logging, correlation_id


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
