"""The machine's speed, read just before each run: the CPU a fixed piece of Python takes.

Why: this machine's speed moves by half within an hour. The broker floor (no code of ours,
the same messages every time) took 1,704 us of CPU a booking in one sweep and 2,596 in a
sweep of the same session, and every process's CPU per booking moved with it; a sweep's
figures could not be set against another's to say what the code did. CPU time, not wall
time, is what moved (the floor's processes had the machine to themselves), so the gauge
is CPU time too: the same work, timed with the process's own CPU clock, costs more when the
machine is slower, whatever else runs. Read beside a run's CPU per booking, it says whether
the code or the machine changed: a sweep whose gauge is 30% higher ran on a machine 30%
slower.

The work is what the services do most (dicts, strings, JSON, small objects), not a
numeric loop, which would miss a slower memory system. The figure is the median of
`BLOCKS` blocks, so a moment of preemption inside one block does not count.
"""

from __future__ import annotations

import json
import statistics
import time

__all__ = ["machine_gauge_us"]

BLOCKS = 9
ROUNDS_A_BLOCK = 20


def _work() -> int:
    """One unit: about what a handful of bookings cost a service in plain Python."""
    counts: dict[str, int] = {}
    for i in range(2_000):
        key = f"doctor-{i % 97}"
        counts[key] = counts.get(key, 0) + i * 3 // 7
    records = [{"id": i, "name": f"patient {i}", "slot": [i % 13, i % 29]} for i in range(200)]
    text = json.dumps(records)
    return len(json.loads(text)) + sum(counts.values())


def machine_gauge_us() -> float:
    """CPU microseconds one unit of the fixed work takes now (lower is a faster machine)."""
    blocks = []
    for _ in range(BLOCKS):
        started = time.process_time()
        for _ in range(ROUNDS_A_BLOCK):
            _work()
        blocks.append((time.process_time() - started) / ROUNDS_A_BLOCK * 1e6)
    return statistics.median(blocks)
