"""Graceful shutdown: each service, sent SIGTERM mid-stream (as `docker compose stop` or a
rolling deploy does), finishes or hands back its in-flight work and exits cleanly; after
its restart every request is accounted for, nothing half-applied."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from opd_ops.checks import unsent_events
from opd_ops.processes import Service
from opd_ops.reconcile import wait_until_reconciled

from .conftest import after, assert_nothing_lost_or_doubled


def _logging_to(service: Service, log: Path) -> Service:
    """Restart `service` with its output in `log`, to read how its shutdown went."""
    service.stop()
    service.log = log
    service.start()
    service.wait_ready()
    return service


def assert_shut_down_cleanly(exit_code: int | None, log: str) -> None:
    # uvicorn ends a graceful shutdown by re-raising the signal it caught: -SIGTERM, not
    # the -SIGKILL of a process that outstayed its patience.
    assert exit_code == -signal.SIGTERM, f"exit code {exit_code}"
    assert "Application shutdown complete." in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("name", ["allocator", "gateway", "queue_view", "analytics"])
async def test_sigterm_mid_stream_exits_cleanly_and_loses_nothing(
        system, storm, tmp_path, name):
    service, seen = _logging_to(system[name], tmp_path / f"{name}.log"), {}

    async def shut_down(ledger) -> None:
        await after(ledger, 100)
        seen["exit"] = await asyncio.to_thread(service.stop)
        seen["log"] = service.log.read_text()
        service.start()

    outcome = await storm(shut_down)

    assert_shut_down_cleanly(seen["exit"], seen["log"])
    assert_nothing_lost_or_doubled(outcome)


async def test_a_stopped_allocator_has_published_every_event_of_what_it_decided(
        system, storm, infra, tmp_path):
    """What the allocator took before SIGTERM is decided, answered and its events sent:
    the read models agree with it while it is still down, with no sweeper to help."""
    allocator, seen = _logging_to(system["allocator"], tmp_path / "allocator.log"), {}

    async def shut_down(ledger) -> None:
        await after(ledger, 100)
        seen["exit"] = await asyncio.to_thread(allocator.stop)
        seen["log"] = allocator.log.read_text()
        seen["unsent"] = await unsent_events(system.allocator_dsn)
        seen["while_down"] = await wait_until_reconciled(infra.postgres_url, system.namespace,
                                                         30)
        allocator.start()

    outcome = await storm(shut_down)

    assert_shut_down_cleanly(seen["exit"], seen["log"])
    assert "allocator stopped" in seen["log"]
    assert seen["unsent"] == 0, "the allocator stopped with events still in its outbox"
    assert seen["while_down"].agrees, seen["while_down"].differences
    assert_nothing_lost_or_doubled(outcome)
