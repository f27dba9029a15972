"""The image of docker-compose.yml's services, built once a session without an engine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .compose_services import BuiltService, built_services, filled_example
from .dockerfile_replay import Replayed, replay

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / "env.example"
SERVICES = built_services(COMPOSE_FILE, filled_example(ENV_EXAMPLE))


@pytest.fixture(scope="session")
def replayed_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    recipe: BuiltService = SERVICES[0]
    root = tmp_path_factory.mktemp("image")
    yield replay(recipe.dockerfile, recipe.context, root)
    shutil.rmtree(root)  # some 400 MB; pytest would keep three sessions' worth
