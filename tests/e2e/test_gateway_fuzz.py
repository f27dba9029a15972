"""Property-based: whatever schemathesis sends a service, it never answers 5xx and every answer
matches the service's own OpenAPI document."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance," \
         "response_schema_conformance"


@pytest.mark.parametrize("service", ["gateway", "queue_view", "analytics"])
def test_no_input_makes_a_service_fail(system, infra, service):
    url = f"{system[service].url}/openapi.json"

    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", url, "--checks", CHECKS,
         "--max-examples", "25", "--request-timeout", "20", "--phases", "examples,fuzzing",
         "-H", f"Authorization: Bearer {infra.admin_key}", "--no-color"],
        capture_output=True, text=True, timeout=600)

    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
