"""The allocator's process collects its young objects every 5,000 (the other services every
50,000): each of its young collections walks the tokens its schedule cache took in since the
last, so fewer at a time make shorter pauses (settings.py says what they cost). Each probe
is a child process: changing pytest's collector would change every later test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import gc, importlib, sys
from opd_shared.app import process_settings
module, name = sys.argv[1].rsplit(".", 1)
process_settings(getattr(importlib.import_module(module), name))
print(gc.get_threshold()[0])
"""


@pytest.mark.parametrize(("settings", "threshold"), [
    ("allocator.settings.AllocatorSettings", 5_000),
    ("booking_gateway.settings.GatewaySettings", 50_000),
    ("queue_view.settings.QueueViewSettings", 50_000),
])
def test_the_allocator_collects_its_young_objects_ten_times_as_often(
        settings: str, threshold: int, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPD_")}

    probe = subprocess.run([sys.executable, "-c", PROBE, settings], capture_output=True,
                           text=True, check=True, env=env, cwd=tmp_path)

    assert int(probe.stdout.split()[-1]) == threshold
