"""The Python client's example (clients/python/examples/book_a_token.py) against the whole
system as processes, as against `make run`: with the allocator stopped at first, every write
answers 202 and the example repeats it with the same Idempotency-Key until the allocator is
back; the small slot's 409 sends the second patient to an alternative; each patient is
booked exactly once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opd_ops.processes import System

EXAMPLE = Path(__file__).parents[2] / "clients" / "python" / "examples" / "book_a_token.py"


@pytest.fixture(scope="module")
def quick_system(infra) -> Iterator[System]:
    """The system, with 202 after one second without a decision rather than five."""
    namespace = infra.namespace("client")
    running = System(namespace, infra.postgres_url,
                     {**infra.env(namespace), "OPD_REPLY_TIMEOUT_SECONDS": "1"})
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_the_example_books_handles_a_full_slot_and_repeats_a_202_with_its_key(
        quick_system, infra):
    allocator = quick_system["allocator"]
    allocator.stop()  # nothing is decided: the gateway queues each command and answers 202
    example = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--gateway", quick_system["gateway"].url,
         "--queue-view", quick_system["queue_view"].url, "--key", infra.admin_key],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    allocator.start()
    allocator.wait_ready()
    out, err = example.communicate(timeout=120)

    assert example.returncode == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("202 pending: repeating with Idempotency-Key ")
    booked = [line for line in lines if line.startswith("201 booked")]
    full = [line for line in lines if line.startswith("409 slot_full")]
    assert len(booked) == 2 and len(full) == 1, out
    assert lines[-1].startswith("in the queue of slot")
    doctor_id = int(next(x for x in lines if x.startswith("doctor ")).split()[1].rstrip(","))
    tokens = [t for s in httpx.get(f"{quick_system['queue_view'].url}/api/v1/slots",
                                   params={"doctor_id": doctor_id},
                                   headers=infra.admin_headers).json()
              for t in httpx.get(f"{quick_system['queue_view'].url}/api/v1/slots/{s['id']}"
                                 "/queue", headers=infra.admin_headers).json()]
    assert sorted(t["patient_name"] for t in tokens) == ["Asha Rao", "Ravi Kumar"]
