"""Simulate a day of the OPD through the public HTTP API and check it against analytics.

`uv run python -m opd_ops.simulate [--day-in-seconds 60] [--doctors 6] ...` books tomorrow's
clinic (the allocator refuses slots already over, so the day is played on tomorrow's date)
from a seeded plan: arrivals with a morning peak, the four sources, emergencies,
cancellations, no-shows, check-ins, call-next and completions, and a doctor running late
today. It prints what it saw, then the same figures from analytics with ✓/✗.
Exit 0: analytics agrees; 1: a figure differs; 2: the system is not ready or refused setup.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import uuid
from pathlib import Path

from rich.console import Console

from opd_ops.sim.check import Row, baseline, settle
from opd_ops.sim.client import Api
from opd_ops.sim.clock import hospital_now
from opd_ops.sim.day import run_day
from opd_ops.sim.desk import SetupError
from opd_ops.sim.figures import observed
from opd_ops.sim.report import print_check, print_day, print_notifications
from opd_ops.sim.scenario import Scenario, add_arguments, scenario_of
from opd_shared.settings import ServiceSettings

__all__ = ["main", "simulate"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m opd_ops.simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--queue-view", default="http://127.0.0.1:8001")
    parser.add_argument("--analytics", default="http://127.0.0.1:8002")
    parser.add_argument("--notifier", default="http://127.0.0.1:8005")
    parser.add_argument("--key", help="API key (default: OPD_ADMIN_KEY, from the env or .env)")
    parser.add_argument("--settle-seconds", type=float, default=60,
                        help="how long to wait for analytics to agree")
    parser.add_argument("--json", type=Path, help="also write the check's rows here")
    add_arguments(parser)
    return parser


def _key(given: str | None) -> str:
    key = given or ServiceSettings().admin_key
    if key is None:
        raise ValueError("no API key: pass --key, or set OPD_ADMIN_KEY (make run writes it "
                         "into .env)")
    return key if isinstance(key, str) else key.get_secret_value()


def _write(path: Path, rows: list[Row], notes: list[str]) -> None:
    found = [{"label": r.label, "observed": r.observed, "reported": r.reported, "ok": r.ok}
             for r in rows]
    path.write_text(json.dumps({"matched": all(r.ok for r in rows), "rows": found,
                                "notes": notes}, indent=1, default=str))


async def simulate(args: argparse.Namespace, scenario: Scenario, console: Console) -> int:
    api = Api(args.gateway, args.queue_view, args.analytics, args.key, uuid.uuid4().hex[:8],
              args.notifier)
    try:
        missing = await api.not_ready()
        if missing:
            console.print(f"[red]not ready:[/] {', '.join(missing)} (start it: make run)")
            return 2
        today = hospital_now(scenario.timezone).date()
        dates = [today, today + dt.timedelta(days=1)]
        before = await baseline(api, dates)
        ledger, doctor_ids = await run_day(api, scenario, dates[1])
        print_day(console, ledger, api)
        with console.status("asking analytics until it agrees (it follows the events)"):
            rows = await settle(api, observed(ledger, dates), doctor_ids, before,
                                args.settle_seconds)
        print_check(console, rows)
        print_notifications(console, await api.notifications())
        if args.json:
            _write(args.json, rows, ledger.notes)
        return 0 if all(r.ok for r in rows) else 1
    finally:
        await api.close()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        scenario, args.key = scenario_of(args), _key(args.key)
    except ValueError as error:
        parser.error(str(error))  # exits 2
    console = Console()
    if not console.is_terminal:  # piped or captured: wide enough for the tables' rows
        console = Console(width=max(console.width, 120))
    try:
        return asyncio.run(simulate(args, scenario, console))
    except SetupError as error:  # say why, without a traceback
        console.print(f"[red]{error}[/]")
        return 2


if __name__ == "__main__":
    sys.exit(main())
