"""The bench's figures: a table on the terminal, BENCHMARKS.md, and its charts (latency,
CPU a booking, each process against its budget; the 1,000/s run's timeline is
`opd_ops.bench.timeline`'s)."""

from __future__ import annotations

import datetime as dt
import platform
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen here: draw straight to a file
import matplotlib.pyplot as plt
import psutil
from rich.console import Console
from rich.table import Table

from opd_ops.bench.resources import machine_over_run
from opd_ops.bench.timeline import SLOW_MS, slow_windows

__all__ = ["BUDGET_US", "TARGET_RATE", "budget_chart", "chart", "cpu_chart", "markdown",
           "median_of", "print_table", "timeline_lines", "timeline_result"]

TARGET_RATE = 1000  # bookings a second (issue #13)
HELD_PERCENT = 10.0  # a half-second in which the disk or the host held this much of a core
# CPU per decided booking each process may spend at TARGET_RATE (issue #13's starting point;
# the notifier came later and its share is ours): 1.75 ms of the 2 ms two cores give.
BUDGET_US = {"gateway": 400, "rabbitmq": 220, "allocator": 400, "postgresql": 330,
             "queue_view": 150, "analytics": 150, "notifier": 100}
COLUMNS = [("offered/s", "offered_rate", "{:.0f}"), ("answered/s", "achieved_rate", "{:.0f}"),
           ("decided/s", "decided_rate", "{:.0f}"),
           ("p50 ms", "p50_ms", "{:.1f}"), ("p90 ms", "p90_ms", "{:.1f}"),
           ("p99 ms", "p99_ms", "{:.1f}"), ("max ms", "max_ms", "{:.0f}"),
           ("decided p50 ms", "decided_p50_ms", "{:.1f}"),
           ("decided p99 ms", "decided_p99_ms", "{:.1f}"),
           ("queue-view lag p50 ms", "queue_view_lag_p50_ms", "{:.0f}"),
           ("queue-view lag p99 ms", "queue_view_lag_p99_ms", "{:.0f}"),
           ("analytics lag p50 ms", "analytics_lag_p50_ms", "{:.0f}"),
           ("analytics lag p99 ms", "analytics_lag_p99_ms", "{:.0f}"),
           ("read models drained s", "drained_s", "{:.1f}"),
           ("commands / message", "command_items_per_message", "{:.1f}"),
           ("replies / message", "reply_items_per_message", "{:.1f}"),
           ("events / message", "event_items_per_message", "{:.1f}"),
           ("load generator CPU %", "generator_cpu_percent", "{:.0f}"),
           ("load generator held ms", "generator_longest_hold_ms", "{:.0f}"),
           ("machine gauge us", "machine_gauge_us", "{:.0f}"),
           ("machine idle %", "machine_idle_percent", "{:.1f}"),
           ("waiting for the disk %", "machine_iowait_percent", "{:.1f}"),
           ("taken by the host %", "machine_stolen_percent", "{:.1f}")]


def median_of(runs: list[dict]) -> dict:
    """The median of each figure over repeated runs at one rate (statuses from the first)."""
    merged = dict(runs[0])
    for _, key, _ in COLUMNS:
        merged[key] = statistics.median(run[key] for run in runs)
    merged["services"] = {name: {figure: statistics.median(run["services"][name][figure]
                                                           for run in runs)
                                 for figure in figures}
                          for name, figures in runs[0]["services"].items()}
    databases = {db for run in runs for db in run.get("postgresql_by_database", {})}
    merged["postgresql_by_database"] = {
        db: statistics.median(run.get("postgresql_by_database", {}).get(db, 0.0) for run in runs)
        for db in sorted(databases)}
    merged["runs"] = len(runs)
    # A timeline is one run's: the run whose p99 is the median stands for the rate.
    merged["timeline"] = sorted(runs, key=lambda run: run["p99_ms"])[len(runs) // 2].get(
        "timeline")
    return merged


def _row(result: dict) -> list[str]:
    cells = [fmt.format(result[key]) for _, key, fmt in COLUMNS]
    statuses = " ".join(f"{k}:{v}" for k, v in sorted(result["statuses"].items()))
    services = " ".join(f"{name} {s['cpu_percent']:.0f}%" + (f"/{s['rss_mb_last']:.0f}MB"
                                                            if s["rss_mb_last"] else "")
                        for name, s in result["services"].items())
    return [*cells, statuses, services]


def print_table(results: list[dict], title: str) -> None:
    table = Table(title=title)
    for name, *_ in COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("answers")
    table.add_column("CPU (% of one core) / RSS")
    for result in results:
        table.add_row(*_row(result))
    console = Console()
    if not console.is_terminal:  # a log file: wide enough that no figure is cut off
        console = Console(width=240)
    console.print(table)


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}")


def markdown(results: list[dict], hot: dict | None, floor: dict | None, command: str) -> str:
    head = "| " + " | ".join(n for n, *_ in COLUMNS) + " | answers | CPU (% of one core) / RSS |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    lines += ["| " + " | ".join(_row(r)) + " |" for r in results]
    text = [f"Measured {dt.date.today()} on {machine()}; everything (RabbitMQ, PostgreSQL, the",
            "services and the load generator) on this one machine. Medians of "
            f"{results[0]['runs'] if results else 0} runs per rate.", "",
            f"Reproduce: `{command}`", "",
            "The targets (issue #13): at 1,000 bookings/s offered, >= 950/s decided (201 or "
            "409) with p99 <= 100 ms; at 2,000/s, the decided ones p99 <= 250 ms and the rest "
            "an immediate 503; at 50/s, p99 <= 35 ms. Latencies count from each request's "
            "scheduled time: p50-p99 over every answer (a shed 503 included), the decided "
            "columns over the 201s and 409s alone. A row whose answers include 202 (no "
            "decision in time) or 0 (no answer) is past the knee.", "", *lines, "",
            "Visibility lag: from each booking's 201 until the read model's transaction "
            "that applied it, for every booking, read from the read models' databases after "
            "the run (nothing polls them during it). Read models drained: seconds after the "
            "load stopped until both read models had applied every event the allocator "
            "committed; the next run waits for that. Commands, replies and events per "
            "message: the mean items in each message the gateway and the allocator sent "
            "(`opd_message_items`); the broker's cost is per message. Load generator held: "
            "the longest its event loop ran late (its own work, or waiting for a CPU); "
            "every answer due meanwhile waited as long, the generator's time, not the "
            "system's. Machine gauge: the "
            "CPU a fixed piece of Python took just before each run (`opd_ops.bench.gauge`); "
            "this machine's speed moves by half within an hour, and every process's CPU "
            "per booking moves with it, so compare sweeps' CPU figures only beside their "
            "gauges. Machine idle, waiting for the disk and taken by the host: the share of "
            "all the machine's cores that stood idle during the run, idle while a process "
            "waited for the disk (iowait), and given by the hypervisor to another guest "
            "while this one had work (steal time); from `/proc/stat`.", "",
            "![latency against offered rate](docs/images/bench-latency.png)", "",
            "CPU per booking, by process (its CPU over the decided rate): the dashed line is "
            "what 1,000 bookings/s would leave each booking on this machine.", "",
            "![CPU per booking by process](docs/images/bench-cpu.png)", "",
            "Each process against its budget (us of CPU per decided booking):", "",
            *budget_lines(results), "",
            "![each process against its CPU budget](docs/images/bench-budget.png)",
            *timeline_lines(results)]
    if floor:
        text += ["", "The floor, the last bar: only the messages a booking needs (a command, "
                 "its reply, an event to both read models, all acked), with no HTTP, database "
                 f"or decision, offered at {floor['offered_rate']:,.0f}/s: "
                 f"{floor['achieved_rate']:.0f}/s achieved, RabbitMQ "
                 f"{floor['broker_us_per_booking']:.0f} us and aio-pika "
                 f"{floor['client_us_per_booking']:.0f} us of CPU per booking "
                 "(`uv run python -m opd_ops.bench.broker_floor`)."]
    if hot:
        text += ["", "One hot doctor (5,000 bookings racing for 200 places, one partition):",
                 f"{hot['booked']} allocated, {hot['statuses'].get('409', 0)} refused with "
                 f"alternatives, {hot['statuses'].get('503', 0)} shed, "
                 f"{hot['decided_rate']:.0f} decisions/s, p99 "
                 f"{hot['p99_ms']:.0f} ms; checks {hot['checks']}."]
    text += ["", "The allocator alone, without HTTP or the broker (its decisions per second "
             "by batch size, and the same hot doctor): "
             "`uv run python services/allocator/bench/decide_bench.py`; its figures"
             " before and after issue #13 are under \"The allocator alone\" below."]
    return "\n".join(text) + "\n"


def chart(results: list[dict], path: Path) -> None:
    rates = [r["offered_rate"] for r in results]
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=120)
    for key, label in (("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99")):
        axis.plot(rates, [r[key] for r in results], marker="o", label=label)
    for target, label in ((20, "target p50"), (100, "target p99")):
        axis.axhline(target, color="grey", linestyle="--", linewidth=0.8)
        axis.annotate(label, (rates[0], target), textcoords="offset points", xytext=(2, 3),
                      fontsize=8, color="grey")
    axis.set_xlabel("offered bookings per second")
    axis.set_ylabel("latency at the gateway (ms)")
    axis.set_yscale("log")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    axis.set_title("Booking latency against offered rate (open loop)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def cpu_chart(results: list[dict], floor: dict | None, path: Path) -> None:
    """Where each booking's CPU goes, process by process, against what 1,000 bookings/s on
    this machine's cores would allow; and, as a last bar, the floor: the messages alone."""
    names = [*results[0]["services"], "load generator"] if results else []
    colours = {name: f"C{i}" for i, name in enumerate(names)}
    labels = [f"{r['offered_rate']:.0f}/s" for r in results]
    figure, axis = plt.subplots(figsize=(9, 4.8), dpi=120)
    bottom = [0.0] * len(results)
    for name in names:
        per_booking = [_cpu_ms_per_booking(r, name) for r in results]
        axis.bar(labels, per_booking, bottom=bottom, label=name, color=colours[name])
        bottom = [b + v for b, v in zip(bottom, per_booking, strict=True)]
    if floor:
        label = f"messages alone\n{floor['achieved_rate']:.0f}/s"
        broker_ms = floor["broker_us_per_booking"] / 1000
        axis.bar(label, broker_ms, color=colours.get("rabbitmq", "C5"))
        axis.bar(label, floor["client_us_per_booking"] / 1000, bottom=broker_ms,
                 color="lightgrey", hatch="//", label="aio-pika (the floor's clients)")
    budget_ms = psutil.cpu_count() * 1000 / TARGET_RATE  # every core's every millisecond
    axis.axhline(budget_ms, color="black", linestyle="--", linewidth=0.8)
    axis.annotate(f"all {psutil.cpu_count()} cores at {TARGET_RATE:,} bookings/s",
                  (-0.4, budget_ms), textcoords="offset points", xytext=(0, 3), fontsize=8)
    axis.set_xlabel("offered bookings per second")
    axis.set_ylabel("CPU per booking (ms)")
    axis.legend(fontsize=8, ncols=2)
    axis.set_title("Where a booking's CPU goes")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _cpu_ms_per_booking(result: dict, name: str) -> float:
    percent = (result["generator_cpu_percent"] if name == "load generator"
               else result["services"][name]["cpu_percent"])
    return percent / 100 * 1000 / max(result["decided_rate"], 1e-9)


def budget_chart(results: list[dict], path: Path) -> None:
    """Each process's CPU per decided booking at each offered rate, against its budget."""
    names = [name for name in BUDGET_US if results and name in results[0]["services"]]
    figure, axis = plt.subplots(figsize=(9, 4.8), dpi=120)
    width = 0.8 / max(len(results), 1)
    for i, result in enumerate(results):
        offsets = [n + (i - (len(results) - 1) / 2) * width for n in range(len(names))]
        axis.bar(offsets, [1000 * _cpu_ms_per_booking(result, name) for name in names],
                 width, label=f"{result['offered_rate']:.0f}/s offered", color=f"C{i}")
    axis.scatter(range(len(names)), [BUDGET_US[name] for name in names], marker="_", s=900,
                 color="black", linewidths=2, label="budget at 1,000/s", zorder=3)
    axis.set_xticks(range(len(names)), [name.replace("_", "-") for name in names])
    axis.set_yscale("log")
    axis.set_ylabel("CPU per decided booking (us, log scale)")
    axis.legend(fontsize=8)
    axis.set_title("Each process against its CPU budget")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def timeline_result(results: list[dict]) -> dict | None:
    """The rate the targets are about, where the sweep has it and kept its timeline."""
    return next((r for r in results
                 if r["offered_rate"] == TARGET_RATE and r.get("timeline")), None)


def timeline_lines(results: list[dict]) -> list[str]:
    result = timeline_result(results)
    if result is None:
        return []
    rows = result["timeline"]["windows"]
    slow = slow_windows(rows)
    worst = sorted(slow, key=lambda row: row["p99_ms"], reverse=True)[:5]
    named = "; ".join(f"{row['start_s']:.1f} s, {row['p99_ms']:.0f} ms" + (
        f", {row['shed']} shed" if row["shed"] else "") for row in worst)
    return ["", f"The {TARGET_RATE:,}/s run with the median p99, half a second at a time "
            f"(`opd_ops.bench.timeline`): {len(slow)} of {len(rows)} half-seconds had a p99 "
            f"over {SLOW_MS:.0f} ms" + (f" (the slowest: {named})" if slow else "")
            + f", and {sum(row['shed'] for row in rows):,} requests were shed. Below, what "
            "each process's CPU did at those moments." + _machine_words(result), "",
            f"![the {TARGET_RATE:,}/s run, half a second at a time](docs/images/"
            "bench-timeline.png)"]


def _machine_words(result: dict) -> str:
    """The timeline's run as the machine saw it: its idle, iowait and stolen CPU, and in
    how many half-seconds the disk or the host held a tenth of a core or more."""
    timeline = result["timeline"]
    machine, cores = timeline.get("machine"), timeline.get("cores")
    if not machine or not machine["stolen"] or not cores:
        return ""

    share = machine_over_run(machine, cores)

    def held(name: str) -> int:
        return sum(percent >= HELD_PERCENT for percent in machine[name])

    return (" The black line is everything the machine ran (the load generator, the kernel's "
            "network work and any other process too); above it, the disk's hold (iowait) "
            "and the host's (steal), hatched. In this run the machine stood idle "
            f"{share['idle']:.1f} % of the time, waited for the disk {share['iowait']:.1f} % "
            f"and the host took {share['stolen']:.1f} % of its {cores} cores; a half-second "
            f"held {HELD_PERCENT:.0f} % of a core or more: by the disk {held('iowait')}, by "
            f"the host {held('stolen')} of {len(machine['stolen'])}.")


def _postgres_lines(results: list[dict]) -> list[str]:
    """PostgreSQL's row split by the database its processes served (`postgresql_by_database`):
    which service's statements its CPU went to; background is its own work (WAL, checkpoints,
    vacuum)."""
    def us(result: dict, database: str) -> str:
        percent = result.get("postgresql_by_database", {}).get(database, 0.0)
        return f"{percent * 1e4 / max(result['decided_rate'], 1e-9):,.0f}"

    databases = sorted({db for r in results for db in r.get("postgresql_by_database", {})})
    return [f"| ... postgresql for {db.replace('_', '-')} | | "
            + " | ".join(us(r, db) for r in results) + " |" for db in databases]


def budget_lines(results: list[dict]) -> list[str]:
    """The budget chart as a table: us of CPU per decided booking, process by process."""
    head = "| process | budget us | " + " | ".join(
        f"{r['offered_rate']:.0f}/s offered" for r in results) + " |"
    lines = [head, "|" + "---|" * (len(results) + 2)]
    for name in BUDGET_US:
        if results and name in results[0]["services"]:
            measured = " | ".join(f"{1000 * _cpu_ms_per_booking(r, name):,.0f}"
                                  for r in results)
            lines.append(f"| {name.replace('_', '-')} | {BUDGET_US[name]} | {measured} |")
        if name == "postgresql":
            lines += _postgres_lines(results)
    total = " | ".join(f"{sum(1000 * _cpu_ms_per_booking(r, n) for n in r['services']):,.0f}"
                       for r in results)
    return [*lines, f"| all of them | {sum(BUDGET_US.values()):,} | {total} |"]
