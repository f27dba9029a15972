"""A run half a second at a time: when its slow answers and refusals came, beside what
each process's CPU did at that moment.

Why: a 60 s run's p99 is made of a few spells, and the run's figures cannot say when or
whose. Sessions found them one by one with scratch copies of the generator and a sampler
(BENCHMARKS.md: the generator's own collections, the allocator's full collection ~51 s
into every run, the broker's log rolling over), each copy thrown away after. Every run now
keeps each answer's due time, latency and status, and the sampler each process's CPU on
the same clock; the sweep draws the run at 1,000/s with the median p99.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen here: draw straight to a file
import matplotlib.pyplot as plt

__all__ = ["SLOW_MS", "WINDOW_S", "percentile", "slow_windows", "timeline_chart", "windows"]

WINDOW_S = 0.5  # as long as the sampler's interval, so each window has its CPU reading
SLOW_MS = 100.0  # a window whose p99 is past this is slow: the 1,000/s target's p99


def windows(answers: Iterable[tuple[float, float, int]], width_s: float = WINDOW_S
            ) -> list[dict]:
    """Each window of the run by the answers' due times (seconds from the run's start, so a
    request that left late still counts where it was due): how many, their p99 latency, and
    how many were shed (503). A window in which nothing was due has no p99 (nan)."""
    latencies: dict[int, list[float]] = {}
    shed: dict[int, int] = {}
    for due_s, latency_ms, status in answers:
        index = int(due_s // width_s)
        latencies.setdefault(index, []).append(latency_ms)
        shed[index] = shed.get(index, 0) + (status == 503)
    return [{"start_s": index * width_s, "answers": len(latencies.get(index, [])),
             "p99_ms": percentile(latencies.get(index, []), 0.99), "shed": shed.get(index, 0)}
            for index in range(max(latencies, default=-1) + 1)]


def percentile(values: list[float], q: float) -> float:
    """The value below which the share `q` of `values` lies; nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def slow_windows(rows: list[dict], slow_ms: float = SLOW_MS) -> list[dict]:
    return [row for row in rows if row["p99_ms"] > slow_ms]


def timeline_chart(timeline: dict, title: str, path: Path) -> None:
    """Above, each window's p99 (log scale) and its refusals; below, each process's CPU on
    the same seconds, stacked, with everything the machine ran as a line (the load generator
    and the kernel's network work show as the gap above the stack), and above it, hatched,
    the time the machine waited for the disk (iowait) and what the host took (steal)."""
    rows, cpu = timeline["windows"], timeline["cpu"]
    figure, (latency, load) = plt.subplots(2, 1, figsize=(10, 6), dpi=120, sharex=True,
                                           height_ratios=(3, 2))
    starts = [row["start_s"] for row in rows]
    latency.step(starts, [row["p99_ms"] for row in rows], where="post", label="p99 of the window")
    latency.axhline(SLOW_MS, color="grey", linestyle="--", linewidth=0.8)
    latency.set_yscale("log")
    latency.set_ylabel("p99 latency (ms)")
    latency.grid(True, which="both", alpha=0.3)
    refused = latency.twinx()
    refused.bar(starts, [row["shed"] for row in rows], width=WINDOW_S, align="edge",
                color="tab:red", alpha=0.5, label="shed (503)")
    refused.set_ylim(0, 1.1 * max([1, *(row["shed"] for row in rows)]))  # no negative counts
    refused.set_ylabel("shed in the window")
    latency.legend(loc="upper left", fontsize=8)
    refused.legend(loc="upper right", fontsize=8)
    latency.set_title(title)
    names = list(cpu)
    load.stackplot(timeline["cpu_at_s"], *(cpu[name] for name in names),
                   labels=[name.replace("_", "-") for name in names], step="pre")
    machine = timeline.get("machine")
    if machine:  # runs recorded before the machine was read have none
        at, top = timeline["cpu_at_s"], machine["busy"]
        load.plot(at, top, color="black", linewidth=0.8, drawstyle="steps-pre",
                  label="the machine busy")
        for name, hatch, label in (("iowait", "....", "waiting for the disk"),
                                   ("stolen", "////", "taken by the host")):
            above = [low + add for low, add in zip(top, machine[name], strict=True)]
            load.fill_between(at, top, above, step="pre", facecolor="none",
                              edgecolor="black", hatch=hatch, linewidth=0, label=label)
            top = above
    load.set_ylabel("CPU (% of one core)")
    load.set_xlabel("seconds into the run")
    load.legend(fontsize=7, ncols=4, loc="lower left")
    load.grid(True, alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
