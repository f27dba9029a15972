"""A service's own tests import no other service: a test that needs two services is a
cross-service test, and lives in tests/integration/ (where the `hospital` runs all four)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGES = {"allocator": "allocator", "booking-gateway": "booking_gateway",
            "queue-view": "queue_view", "analytics": "analytics"}


def _imports_of_others(service: str) -> list[tuple[Path, str]]:
    others = "|".join(p for s, p in PACKAGES.items() if s != service)
    pattern = re.compile(rf"^\s*(?:from|import)\s+({others})\b", re.MULTILINE)
    return [(path.relative_to(ROOT), found)
            for path in (ROOT / "services" / service / "tests").glob("**/*.py")
            for found in pattern.findall(path.read_text())]


def test_no_service_test_imports_another_service():
    crossing = {service: _imports_of_others(service) for service in PACKAGES}

    assert crossing == {service: [] for service in PACKAGES}
