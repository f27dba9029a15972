"""Fault tests: bookings stream through the real processes while something breaks, and then
every request is accounted for."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from opd_ops.checks import over_capacity, tokens_by_patient
from opd_ops.reconcile import wait_until_reconciled
from opd_ops.stream import Ledger, open_schedule, settle_pending, stream


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _wait_port(port: int, up: bool, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while _port_open(port) != up:
        assert time.monotonic() < deadline, f"port {port} still {'down' if up else 'up'}"
        time.sleep(0.3)


@dataclass
class LocalServers:
    """This machine's RabbitMQ and PostgreSQL, stopped and started as an operator would."""

    postgres_version: str

    def stop_broker(self) -> None:
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)

    def start_broker(self) -> None:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
        _wait_port(5672, up=True)

    def stop_database(self) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.postgres_version,
                        "main", "stop", "-m", "fast"], check=True, capture_output=True)
        _wait_port(5432, up=False)

    def start_database(self) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.postgres_version,
                        "main", "start"], check=True, capture_output=True)
        _wait_port(5432, up=True)


@pytest.fixture(scope="module")
def servers(infra) -> LocalServers:
    local = "127.0.0.1:5672" in infra.amqp_url and "127.0.0.1:5432" in infra.postgres_url
    clusters = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    tools = shutil.which("rabbitmqctl") and shutil.which("pg_ctlcluster")
    if not (local and clusters and tools and os.geteuid() == 0):
        pytest.skip("restarting servers needs this machine's own RabbitMQ and PostgreSQL")
    return LocalServers(clusters[-1])


@dataclass
class Outcome:
    ledger: Ledger
    sent: int
    found: dict
    over_capacity: list
    reconciled: object

    def figures(self) -> str:
        ok = self.ledger.with_status(201)
        doubled = sum(1 for rows in self.found.values() if len(rows) > 1)
        return (f"sent {self.sent}, booked (201) {len(ok)}, refused (409) "
                f"{len(self.ledger.with_status(409))}, found {len(self.found)}, "
                f"duplicated {doubled}, over capacity {len(self.over_capacity)}")


Fault = Callable[[Ledger], Awaitable[None]]


@pytest.fixture
def storm(system, infra) -> Callable[[Fault], Awaitable[Outcome]]:
    """Book 300 times across 3 doctors (240 places) while `fault` runs, then settle every
    request with its Idempotency-Key and collect what the database and read models say."""

    async def run(fault: Fault) -> Outcome:
        async with httpx.AsyncClient(base_url=system["gateway"].url, timeout=30,
                                     headers=infra.admin_headers) as client:
            slots = await open_schedule(client, doctors=3, capacity=80)
            ledger = Ledger()
            breaking = asyncio.create_task(fault(ledger))
            sent = await stream(client, ledger, slots, 300)
            await breaking
            await settle_pending(client, ledger, sent, seconds=120)
        report = await wait_until_reconciled(infra.postgres_url, system.namespace, 90)
        ours = {key for key, _ in sent}  # the module's system may hold earlier storms too
        found = {k: v for k, v in (await tokens_by_patient(system.allocator_dsn)).items()
                 if k in ours}
        return Outcome(ledger, len(sent), found, await over_capacity(system.allocator_dsn),
                       report)

    return run


async def after(ledger: Ledger, answered: int) -> None:
    """Wait until `answered` requests have had an answer."""
    while len(ledger.answers) < answered:  # noqa: ASYNC110 - polling a counter
        await asyncio.sleep(0.02)


def assert_nothing_lost_or_doubled(outcome: Outcome) -> None:
    ledger, found = outcome.ledger, outcome.found
    booked = ledger.with_status(201)
    print(outcome.figures())
    assert not ledger.with_status(202) and not ledger.with_status(503)
    assert len(booked) == 240, outcome.figures()
    assert all(len(found[k]) == 1 for k in found), "a booking was decided twice"
    assert {k: found[k][0]["id"] for k in booked} == {
        k: ledger.answers[k].json()["id"] for k in booked}, "a 201 is not in the database"
    assert set(found) == set(booked), "a refused or unanswered booking holds a token"
    assert outcome.over_capacity == []
    assert outcome.reconciled.agrees, outcome.reconciled.differences
