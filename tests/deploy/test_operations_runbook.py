"""docs/OPERATIONS.md names only what exists: metrics the services export, commands that run,
make targets, files, and runbook sections its alerts point to."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI

from opd_shared.metrics import instrument

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = (REPO / "docs" / "OPERATIONS.md").read_text()
YAML_BLOCKS = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", RUNBOOK, re.S)]
RULES = [rule for block in YAML_BLOCKS for group in block.get("groups", [])
         for rule in group["rules"]]
MODULES = sorted(set(re.findall(r"python -m ([a-z_][\w.]*)", RUNBOOK)))
# Names other exporters own: RabbitMQ's plugin, kube-state-metrics, Prometheus' own.
FOREIGN = re.compile(r"^(rabbitmq_|kube_)")


async def exported_metric_names() -> set[str]:
    """Every series name an instrumented service's /metrics serves, after one request."""
    app = FastAPI()
    app.get("/probe")(lambda: {})
    instrument(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        await client.get("/probe")
        text = (await client.get("/metrics")).text
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines()
            if line and not line.startswith("#")} | set(re.findall(r"# TYPE (\w+)", text))


def heading_anchors() -> set[str]:
    """GitHub's anchors: lower case, punctuation dropped, spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            for title in re.findall(r"^#+ (.+)$", RUNBOOK, re.M)}


async def test_the_alert_rules_use_only_metrics_the_services_export():
    exported = await exported_metric_names()
    names = {name for rule in RULES for name in re.findall(r"\b([a-z_]+_[a-z_]+)\b", rule["expr"])
             if name.startswith(("opd_", "http_", "rabbitmq_", "kube_"))}

    assert len(RULES) >= 10
    assert {name for name in names if not FOREIGN.match(name)} <= exported, exported
    assert {"opd_dead_letter_depth", "opd_outbox_lag_seconds_bucket", "opd_reply_timeouts_total",
            "opd_events_applied_total", "http_requests_total"} <= names


def test_every_alert_points_to_a_section_of_the_runbook():
    anchors = heading_anchors()

    for rule in RULES:
        runbook = rule["annotations"]["runbook"]
        assert runbook.startswith("docs/OPERATIONS.md#"), rule["alert"]
        assert runbook.split("#", 1)[1] in anchors, (rule["alert"], runbook)


@pytest.mark.parametrize("module", MODULES)
def test_every_python_command_of_the_runbook_runs(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_every_make_target_and_repository_path_of_the_runbook_exists():
    makefile = (REPO / "Makefile").read_text()
    paths = set(re.findall(r"`((?:deploy|docs|services|contracts)/[\w./-]+)`", RUNBOOK))

    assert MODULES and paths
    for target in set(re.findall(r"`make ([\w-]+)", RUNBOOK)):
        assert re.search(rf"^{target}:", makefile, re.M), target
    for path in paths:
        assert (REPO / path).exists(), path
