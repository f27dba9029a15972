"""What the day looked like, and whether analytics agrees: rich tables on the console."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from opd_ops.sim.check import Row
from opd_ops.sim.client import Api
from opd_ops.sim.figures import STATUSES, percentile, waits_of
from opd_ops.sim.ledger import Ledger
from opd_ops.sim.scenario import SOURCES

__all__ = ["print_check", "print_day", "print_notifications"]

# Status pairs of each wait, on the simulated clock (when the answers came back).
SIM_WAITS = {"booked → check-in": ("allocated", "checked_in"),
             "check-in → start": ("checked_in", "consulting"),
             "booked → start": ("allocated", "consulting"),
             "consultation": ("consulting", "completed")}


def _tokens_table(ledger: Ledger) -> Table:
    table = Table("source", *STATUSES, "total", title="Tokens by source and status")
    counts = Counter((t["source"], t["status"]) for t in ledger.tokens.values())
    for source in (*SOURCES, None):
        row = [sum(n for (src, st), n in counts.items() if st == s and source in (src, None))
               for s in STATUSES]
        table.add_row(source or "all", *map(str, row), str(sum(row)))
    return table


def _waits_table(ledger: Ledger) -> Table:
    table = Table("wait (simulated clock, minutes)", "tokens", "median", "p90",
                  title="Waits")
    for label, (start, end) in SIM_WAITS.items():
        spans = [t[end] - t[start] for t in ledger.sim_times.values() if start in t and end in t]
        n, median, p90 = waits_of(spans)
        table.add_row(label, str(n), str(median), str(p90))
    return table


def _events_table(ledger: Ledger, api: Api) -> Table:
    table = Table("what happened", "count", title="The day's events")
    tokens = ledger.tokens.values()
    kinds = Counter(m.kind for m in ledger.moves)
    rows: list[tuple[str, Any]] = [
        ("emergencies", sum(t["is_emergency"] for t in tokens)),
        ("  admitted beyond capacity (overflow)", sum(t["is_overflow"] for t in tokens)),
        ("  walk-ins moved to make room", kinds["emergency_bump"]),
        ("tokens moved by the late doctor's delay", kinds["doctor_delay"]),
        *sorted(ledger.happened.items()),
        *((f"requests asked again after {why} (same Idempotency-Key)", n)
          for why, n in sorted(api.retried.items())),
        ("requests left undecided", api.pending),
    ]
    for label, count in rows:
        table.add_row(label, str(count))
    return table


def _requests_table(api: Api) -> Table:
    table = Table("endpoint", "final status", "requests", title="Every request, accounted for")
    for (endpoint, status), n in sorted(api.tally.items()):
        table.add_row(endpoint, str(status), str(n))
    table.add_row("all", "", str(sum(api.tally.values())), style="bold")
    ms = [round(1000 * s) for s in api.seconds]
    table.caption = f"answered in {percentile(ms, 0.5)} ms (median), {percentile(ms, 0.9)} ms (p90)"
    return table


def print_day(console: Console, ledger: Ledger, api: Api) -> None:
    for note in ledger.notes:
        console.print(f"[yellow]note:[/] {note}")
    for table in (_tokens_table(ledger), _waits_table(ledger), _events_table(ledger, api),
                  _requests_table(api)):
        console.print(table)


def _shown(value: Any) -> str:
    if isinstance(value, dict) and all(isinstance(v, int) for v in value.values()):
        return " · ".join(f"{k} {v}" for k, v in value.items() if v) or "none"
    if isinstance(value, dict):  # per doctor id: (tokens, median, p90)
        return " · ".join(f"#{k} {w[1]}/{w[2]}" for k, w in sorted(value.items()))
    return str(value)


def print_notifications(console: Console, counts: dict[str, dict[str, int]] | None) -> None:
    """What the notifier decided to tell patients, per kind, and how its sends went."""
    if counts is None:
        console.print("[yellow]note:[/] the notifier did not answer: no notification counts")
        return
    table = Table("kind", "notifications", "sent", "pending", "dead", "skipped",
                  title="Patients told (notifier)")
    for kind in ("near", "called", "moved", "cancelled"):
        row = counts.get(kind, {})
        table.add_row(kind, *(str(row.get(c, 0)) for c in (
            "notifications", "sent", "pending", "dead", "skipped")))
    table.caption = ("sends only through configured channels (OPD_WEBHOOKS, OPD_SMS_PROVIDER); "
                     "near counts slots starting within OPD_NOTIFY_MINUTES")
    console.print(table)


def print_check(console: Console, rows: list[Row]) -> None:
    table = Table("figure", "simulation", "analytics", "", title="Checked against analytics")
    table.columns[0].no_wrap = True
    for row in rows:
        mark = "[green]✓[/]" if row.ok else "[red]✗[/]"
        table.add_row(row.label, _shown(row.observed), _shown(row.reported), mark)
    console.print(table)
    bad = sum(not r.ok for r in rows)
    console.print("[green]analytics matches the simulation[/]" if not bad
                  else f"[red]{bad} figure(s) differ from analytics[/]")
