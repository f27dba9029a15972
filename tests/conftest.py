"""Cross-service tests start the services as real processes, as `make run` does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opd_ops.processes import System


@pytest.fixture(scope="module")
def system(infra) -> Iterator[System]:
    """All four services as processes, in a namespace of their own."""
    namespace = infra.namespace("sys")
    running = System(namespace, infra.postgres_url, infra.env(namespace))
    try:
        running.start()
        yield running
    finally:
        running.stop()
