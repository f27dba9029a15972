"""An allocator process freezes whatever survives a collection (allocator.main:
no full collection walks its cached tokens again); an app a test makes leaves the
collector alone. Each case runs in a process of its own: the collector is the process's."""

from __future__ import annotations

import json
import subprocess
import sys

FROZEN_AFTER_KEEPING = (
    "import gc, json\n"
    "from allocator.main import create_app\n"
    "{make}\n"
    "before = gc.get_freeze_count()\n"
    "kept = [[n] for n in range(20_000)]\n"
    "gc.collect(0)\n"
    "print(json.dumps(gc.get_freeze_count() - before))")


def _frozen_of_kept(make: str) -> int:
    done = subprocess.run([sys.executable, "-c", FROZEN_AFTER_KEEPING.format(make=make)],
                          check=True, capture_output=True, text=True)
    return int(json.loads(done.stdout.splitlines()[-1]))


def test_an_allocator_process_freezes_what_outlives_a_collection():
    assert _frozen_of_kept("create_app()") >= 20_000  # as uvicorn's factory call makes it


def test_an_app_a_test_makes_freezes_nothing():
    made = ("from allocator.settings import AllocatorSettings\n"
            "create_app(AllocatorSettings(_env_file=None))")

    assert _frozen_of_kept(made) == 0
