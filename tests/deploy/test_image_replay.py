"""Every service command in docker-compose.yml works in the image, built here without Docker.

The image's environment is rebuilt by running deploy/Dockerfile's own steps (see
dockerfile_replay), so a file the recipe forgets to copy fails here as it would in the build.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from .compose_services import BuiltService
from .conftest import SERVICES
from .dockerfile_replay import Replayed

# What `uvicorn` does before it serves: import the module, call the factory, wrap the app.
LOAD_APP = """
import sys, uvicorn
config = uvicorn.Config(sys.argv[1], factory="--factory" in sys.argv[2:])
config.load()
"""
UVICORN_SERVICES = [s for s in SERVICES if s.command[0] == "uvicorn"]


def by_name(services: list[BuiltService]) -> dict[str, object]:
    return {"argvalues": services, "ids": [s.name for s in services]}


def test_every_service_is_built_from_one_recipe() -> None:
    recipes = {(service.context, service.dockerfile) for service in SERVICES}

    assert len(SERVICES) >= 4
    assert len(recipes) == 1, recipes


def test_the_recipe_replays_skipping_only_what_needs_a_real_container(
    replayed_image: Replayed,
) -> None:
    assert [step.split(":")[0] for step in replayed_image.skipped] == [
        "RUN useradd --system --uid 10001 opd"
    ]


@pytest.mark.parametrize("service", **by_name(SERVICES))
def test_each_service_starts_programs_installed_in_the_image(
    service: BuiltService, replayed_image: Replayed
) -> None:
    found = {p: shutil.which(p, path=replayed_image.env["PATH"]) for p in service.programs}

    inside_image = {p: str(f).startswith(str(replayed_image.root)) for p, f in found.items()}
    assert all(inside_image.values()), found


@pytest.mark.parametrize("service", **by_name(UVICORN_SERVICES))
def test_each_uvicorn_service_builds_its_app_with_the_image_python(
    service: BuiltService, replayed_image: Replayed
) -> None:
    python = shutil.which("python", path=replayed_image.env["PATH"])
    env = replayed_image.env | service.environment

    loaded = subprocess.run(
        [str(python), "-c", LOAD_APP, service.command[1], *service.command[2:]],
        cwd=replayed_image.workdir, env=env, capture_output=True, text=True, check=False,
    )

    assert loaded.returncode == 0, loaded.stderr
