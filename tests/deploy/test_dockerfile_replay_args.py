"""The replay reads an ARG that only names the base image (the Dockerfile's PYTHON_VERSION)
and refuses one after FROM, which a RUN step could read and the replay would not set."""

from __future__ import annotations

from pathlib import Path

import pytest

from .dockerfile_replay import replay


def _recipe(tmp_path: Path, text: str) -> Path:
    recipe = tmp_path / "Dockerfile"
    recipe.write_text(text)
    return recipe


def test_an_arg_before_from_names_the_base_image_and_the_steps_still_run(
        tmp_path: Path) -> None:
    recipe = _recipe(tmp_path, "ARG PYTHON_VERSION=3.13\nFROM python:${PYTHON_VERSION}-slim\n"
                               "WORKDIR /app\nRUN touch built\n")

    replayed = replay(recipe, tmp_path, tmp_path / "image")

    assert (replayed.workdir / "built").exists()


def test_an_arg_after_from_is_refused_rather_than_left_unset(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path, "FROM python:3.11-slim\nARG MODE=prod\nRUN echo $MODE\n")

    with pytest.raises(NotImplementedError, match="ARG"):
        replay(recipe, tmp_path, tmp_path / "image")
