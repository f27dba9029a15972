"""The load generator collects no garbage while it runs: its own pauses would be counted as
the system's latency. In a process of its own, since the collector is the process's."""

from __future__ import annotations

import subprocess
import sys


def test_the_generator_runs_without_the_garbage_collector():
    code = ("import gc\n"
            "from opd_ops.bench.load import collector_off\n"
            "assert gc.isenabled()\n"
            "collector_off()\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    assert done.stdout.split() == ["False", "True"]
