"""On a machine the services share, a busy CPU finishes the bookings inside first: each
process adds `OPD_CPU_NICENESS` to its nice value when it starts
(`opd_shared.app.process_settings`): a read model (queue-view, analytics, the notifier) 10,
the gateway 6 (it takes new bookings in), the allocator 0 (every booking of its round waits
for it). Each probe is a child process: renicing pytest would slow every later test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import importlib, os, sys
from opd_shared.app import process_settings
module, name = sys.argv[1].rsplit(".", 1)
before = os.nice(0)
process_settings(getattr(importlib.import_module(module), name))
print(os.nice(0) - before)
"""


@pytest.mark.parametrize(("settings", "niceness"), [
    ("queue_view.settings.QueueViewSettings", 10),
    ("analytics.settings.AnalyticsSettings", 10),
    ("notifier.settings.NotifierSettings", 10),
    ("booking_gateway.settings.GatewaySettings", 6),
    ("allocator.settings.AllocatorSettings", 0),
])
def test_the_allocator_runs_first_then_the_gateway_then_the_read_models(
        settings: str, niceness: int, tmp_path: Path) -> None:
    # No OPD_ variable and no .env (the probe runs in an empty folder): the defaults.
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPD_")}

    probe = subprocess.run([sys.executable, "-c", PROBE, settings], capture_output=True,
                           text=True, check=True, env=env, cwd=tmp_path)

    assert int(probe.stdout.split()[-1]) == niceness
