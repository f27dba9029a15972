"""A service process starts with its start-up heap frozen and the young generation's
threshold from its settings; a test process keeps CPython's collector as it is.

Each case runs in a process of its own: the collector's settings are the whole process's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from opd_shared.settings import ServiceSettings

READ_COLLECTOR = ("import gc, json; print(json.dumps({'threshold': gc.get_threshold(),"
                  " 'frozen': gc.get_freeze_count()}))")


def _collector_after(code: str, **env: str) -> dict:
    done = subprocess.run([sys.executable, "-c", f"{code}\n{READ_COLLECTOR}"], check=True,
                          capture_output=True, text=True, env={**os.environ, **env})
    return json.loads(done.stdout.splitlines()[-1])


def test_a_service_process_freezes_its_start_up_heap_and_collects_young_objects_rarely():
    collector = _collector_after(
        "from opd_shared.app import process_settings\n"
        "from opd_shared.settings import ServiceSettings\n"
        "process_settings(ServiceSettings)", OPD_GC_YOUNG_THRESHOLD="12345")

    assert collector["threshold"][0] == 12345
    assert collector["frozen"] > 10_000  # the imported modules' objects, at least


def test_the_young_threshold_defaults_to_fifty_thousand():
    collector = _collector_after(
        "from opd_shared.app import process_settings\n"
        "from opd_shared.settings import ServiceSettings\n"
        "process_settings(ServiceSettings)")

    assert collector["threshold"][0] == 50_000


def test_settings_built_by_a_test_leave_the_collector_alone():
    collector = _collector_after(
        "import gc; before = gc.get_threshold()\n"
        "from opd_shared.app import service_app\n"
        "from opd_shared.settings import ServiceSettings\n"
        "service_app(ServiceSettings(_env_file=None))\n"
        "assert gc.get_threshold() == before")

    assert collector["frozen"] == 0


@pytest.mark.parametrize("threshold", ["99", "0", "many"])
def test_a_young_threshold_out_of_range_is_refused(threshold, monkeypatch):
    monkeypatch.setenv("OPD_GC_YOUNG_THRESHOLD", threshold)

    with pytest.raises(ValidationError, match="gc_young_threshold"):
        ServiceSettings(_env_file=None)


KEEP_AND_COLLECT = ("import gc\nfrom opd_shared.heap import freeze_survivors\n"
                    "freeze_survivors({allowance})\n"
                    "kept = [[n] for n in range(20_000)]\n"
                    "{grow}\n"
                    "gc.collect(0)\n")


def test_objects_alive_after_a_collection_are_frozen_when_survivors_are():
    collector = _collector_after(KEEP_AND_COLLECT.format(allowance=10**9, grow=""))

    assert collector["frozen"] >= 20_000  # no later collection walks the kept lists


def test_past_the_memory_allowance_nothing_stays_frozen():
    collector = _collector_after(KEEP_AND_COLLECT.format(
        allowance=10**6, grow="grown = b'x' * 64 * 2**20"))  # written: resident

    assert collector["frozen"] == 0
