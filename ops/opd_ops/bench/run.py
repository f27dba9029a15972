"""One measured run: a fresh schedule, the load generator in its own process, the checks."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import asyncpg

from opd_ops.bench import batching
from opd_ops.bench.gauge import machine_gauge_us
from opd_ops.bench.resources import Sampler
from opd_ops.bench.setup import doctors_with_slots
from opd_ops.bench.timeline import percentile, windows
from opd_ops.bench.visibility import lags_ms, unapplied_events
from opd_ops.checks import over_capacity
from opd_ops.processes import System
from opd_shared.settings import ServiceSettings

__all__ = ["Scenario", "run_once"]

DRAIN_LIMIT_S = 300


@dataclass(frozen=True)
class Scenario:
    rate: float
    duration_s: float
    doctors: int = 200
    slots_each: int = 1
    capacity: int = 500


async def _checks(system: System, booked: list[dict]) -> dict[str, int]:
    """Nothing over capacity, no number twice, and every 201 in the database once."""
    conn = await asyncpg.connect(system.allocator_dsn)
    try:
        found = await conn.fetch("SELECT id, token_number FROM tokens WHERE id = ANY($1)",
                                 [b["id"] for b in booked])
        numbers = await conn.fetchval(
            "SELECT count(*) - count(DISTINCT token_number) FROM tokens")
    finally:
        await conn.close()
    return {"over_capacity_slots": len(await over_capacity(system.allocator_dsn)),
            "duplicate_numbers": numbers, "booked_not_found": len(booked) - len(found)}


async def _drain(system: System) -> float:
    """Seconds until both read models have applied every event the allocator committed,
    after the load stopped: so that one run's backlog is not the next run's load, and as a
    figure of its own."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_LIMIT_S:
        if not await unapplied_events(system.server_dsn, system.namespace):
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - started


async def run_once(system: System, settings: ServiceSettings, key: str,
                   scenario: Scenario) -> dict:
    slots = await doctors_with_slots(system["gateway"].url, key, scenario.doctors,
                                     scenario.slots_each, scenario.capacity)
    plan = {"gateway": system["gateway"].url, "queue_view": system["queue_view"].url,
            "analytics": system["analytics"].url, "key": key, "rate": scenario.rate,
            "duration_s": scenario.duration_s, "slots": slots}
    pids = {name: s.process.pid for name, s in system.services.items() if s.process}
    gauge_us = machine_gauge_us()  # the system idles: the previous run has drained
    sent_before = await batching.sent(system)
    with Sampler(pids, system.namespace) as sampler:
        generator = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "opd_ops.bench.load", stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)
        sampler.watch("load generator", generator.pid)
        out, _ = await generator.communicate(json.dumps(plan).encode())
    if generator.returncode:
        raise RuntimeError(f"the load generator failed (exit {generator.returncode}); "
                           "its traceback is printed above")
    result = json.loads(out)
    drained_s = await _drain(system)
    per_message = batching.items_per_message(sent_before, await batching.sent(system))
    lags = await lags_ms(system.server_dsn, system.namespace, result["booked"])
    seen = {model: [lag for lag in found if lag is not None] for model, found in lags.items()}
    answers, elapsed_s = result["answers"], max(result["elapsed_s"], 1e-9)
    latencies, sent = [latency for _, latency, _ in answers], len(answers)
    decided = [latency for _, latency, status in answers if status in (201, 409)]
    return {
        "offered_rate": scenario.rate, "sent": sent, "achieved_rate": sent / elapsed_s,
        "decided_rate": len(decided) / elapsed_s,
        "p50_ms": statistics.median(latencies), "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies),
        "decided_p50_ms": percentile(decided, 0.50),
        "decided_p99_ms": percentile(decided, 0.99),
        "statuses": result["statuses"],
        "queue_view_lag_p50_ms": percentile(seen["queue_view"], 0.50),
        "queue_view_lag_p99_ms": percentile(seen["queue_view"], 0.99),
        "analytics_lag_p50_ms": percentile(seen["analytics"], 0.50),
        "analytics_lag_p99_ms": percentile(seen["analytics"], 0.99),
        "drained_s": drained_s,
        **{f"{hop}_items_per_message": mean for hop, mean in per_message.items()},
        "machine_gauge_us": gauge_us,
        **sampler.machine_summary(),
        "generator_cpu_percent": 100 * result["cpu_s"] / max(result["elapsed_s"], 1e-9),
        "generator_longest_hold_ms": result["longest_hold_ms"],
        "services": sampler.summary(),
        "postgresql_by_database": sampler.postgres_summary(),
        "checks": {**await _checks(system, result["booked"]),
                   **{f"booked_not_in_{model}": len(lags[model]) - len(seen[model])
                      for model in lags}},
        "booked": len(result["booked"]),
        "timeline": {"windows": windows(answers),
                     "cpu_at_s": [at - result["started_at"] for at in sampler.sampled_at],
                     "cpu": {**sampler.cpu_percent, **sampler.watched_percent},
                     "machine": sampler.machine,
                     "cores": sampler.cores},
    }
