"""Compare the allocator's truth with what queue-view and analytics show.

`uv run python -m opd_ops.reconcile [--wait SECONDS]` prints every difference (tokens
missing or in another status or slot, slots with other counts) and exits 1 if any remain.
It only reads; read models are expected to lag by a moment, so --wait polls until they agree.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field

import asyncpg

from opd_contracts.topology import READ_MODELS
from opd_ops.dsn import server_dsn
from opd_shared.settings import ServiceSettings

__all__ = ["Report", "reconcile", "wait_until_reconciled"]

TOKENS = "SELECT id, status, slot_id FROM tokens"
SLOTS = "SELECT id, current_count, overflow_count FROM slots"


@dataclass
class Report:
    tokens: int = 0
    slots: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences


async def _rows(dsn: str, query: str) -> dict[int, tuple]:
    conn = await asyncpg.connect(dsn)
    try:
        return {row[0]: tuple(row[1:]) for row in await conn.fetch(query)}
    finally:
        await conn.close()


def _compare(what: str, model: str, truth: dict[int, tuple], seen: dict[int, tuple]) -> list[str]:
    out = [f"{model}: {what} {key} missing" for key in truth.keys() - seen.keys()]
    out += [f"{model}: {what} {key} unknown to the allocator" for key in seen.keys() - truth.keys()]
    out += [f"{model}: {what} {key} is {seen[key]}, allocator says {truth[key]}"
            for key in truth.keys() & seen.keys() if truth[key] != seen[key]]
    return out


async def reconcile(postgres_url: str, namespace: str) -> Report:
    server = server_dsn(postgres_url)
    dsn = {name: f"{server}/{namespace}_{name}" for name in ("allocator", *READ_MODELS)}
    truth_tokens = await _rows(dsn["allocator"], TOKENS)
    truth_slots = await _rows(dsn["allocator"], SLOTS)
    report = Report(tokens=len(truth_tokens), slots=len(truth_slots))
    for model in READ_MODELS:
        tokens, slots = await _rows(dsn[model], TOKENS), await _rows(dsn[model], SLOTS)
        report.differences += _compare("token", model, truth_tokens, tokens)
        report.differences += _compare("slot", model, truth_slots, slots)
    return report


async def wait_until_reconciled(postgres_url: str, namespace: str, seconds: float) -> Report:
    deadline = time.monotonic() + seconds
    while True:
        report = await reconcile(postgres_url, namespace)
        if report.agrees or time.monotonic() > deadline:
            return report
        await asyncio.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m opd_ops.reconcile", description=__doc__)
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for agreement")
    args = parser.parse_args()
    settings = ServiceSettings()
    report = asyncio.run(wait_until_reconciled(settings.postgres_url, settings.namespace,
                                               args.wait))
    for line in report.differences:
        print(line)
    verdict = "agree" if report.agrees else f"DIFFER in {len(report.differences)} places"
    print(f"{report.tokens} tokens and {report.slots} slots: allocator, queue-view and "
          f"analytics {verdict}")
    return 0 if report.agrees else 1


if __name__ == "__main__":
    sys.exit(main())
