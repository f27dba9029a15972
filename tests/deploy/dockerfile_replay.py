"""Builds an image's environment without an engine, by running the Dockerfile's own steps.

Each instruction is carried out on this machine: WORKDIR becomes a folder under a scratch
root, COPY copies from the build context, ENV extends the environment and RUN runs under
`sh -c`. What cannot or need not happen outside a container is skipped, with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import WordSplitter, extract_key_values

__all__ = ["Replayed", "StepFailed", "replay"]

# RUN steps, by their program, that are left out, each with the reason.
SKIPPED_PROGRAMS = {
    "useradd": "would add an account to this machine; the replay runs as the test's user",
}
# Instructions that change neither the files nor the environment a command starts in
# (USER too: the replay runs every step as the test's user).
IGNORED = {"FROM", "COMMENT", "USER", "EXPOSE", "CMD", "ENTRYPOINT", "LABEL", "HEALTHCHECK"}


class StepFailed(Exception):
    """A RUN step exited non-zero, as it would have failed `docker build`."""


@dataclass
class Replayed:
    root: Path  # stands for the image's "/"
    workdir: Path
    env: dict[str, str]
    skipped: list[str] = field(default_factory=list)

    def path(self, image_path: str) -> Path:
        """Where a path as the image sees it (absolute, or from WORKDIR) is in the replay."""
        if image_path.startswith("/"):
            return self.root / image_path.lstrip("/")
        return self.workdir / image_path


def replay(dockerfile: Path, context: Path, root: Path) -> Replayed:
    """Runs every instruction of `dockerfile`; a failing RUN raises StepFailed."""
    state = Replayed(root, root, _host_env(root))
    based = False  # past FROM
    for step in DockerfileParser(str(dockerfile), env_replace=False).structure:
        instruction, value = step["instruction"], step["value"]
        based = based or instruction == "FROM"
        if instruction == "ARG" and not based:
            continue  # it names the base image, which the replay stands in for (_host_env)
        if instruction == "WORKDIR":
            state.workdir = state.path(value)
            state.workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            _copy(value, context, state)
        elif instruction == "ENV":
            for key, val in extract_key_values(True, {}, state.env, value):
                state.env[key] = _to_replay_paths(val, state)
        elif instruction == "RUN":
            _run(value, step["startline"] + 1, state)
        elif instruction not in IGNORED:
            raise NotImplementedError(f"line {step['startline'] + 1}: {instruction}")
    return state


def _host_env(root: Path) -> dict[str, str]:
    """This machine's environment, minus the test's own venv, with a base image's Python.

    A scratch venv at the image's /usr/local stands for the base image's Python (python:
    <PYTHON_VERSION>-slim), so the recipe's `pip install` lands there and not in this
    machine's Python.
    """
    base = root / "usr" / "local"
    venv.EnvBuilder(with_pip=True).create(base)
    own_venv = str(Path(sys.prefix) / "bin")
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != own_venv]
    # The host's choice of interpreter and environment for uv (the Makefile sets UV_PYTHON)
    # is not the image's: its uv uses the base image's Python and /app/.venv.
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT"}}
    env["PATH"] = os.pathsep.join([str(base / "bin"), *path])
    return env


def _copy(value: str, context: Path, state: Replayed) -> None:
    *sources, destination = WordSplitter(value).split()
    if any(word.startswith("--") for word in sources):
        raise NotImplementedError(f"COPY flags are not replayed: {value}")
    target = state.path(destination)
    for source in sources:
        origin = context / source
        if origin.is_dir():  # as Docker does: the folder's contents, not the folder
            shutil.copytree(origin, target, dirs_exist_ok=True)
            continue
        # A file lands in a folder when the destination ends in "/" or there are many.
        into = target / origin.name if destination.endswith("/") or len(sources) > 1 else target
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, into)


def _run(command: str, line: int, state: Replayed) -> None:
    program = command.split()[0]
    if program in SKIPPED_PROGRAMS:
        state.skipped.append(f"RUN {command}: {SKIPPED_PROGRAMS[program]}")
        return
    done = subprocess.run(["sh", "-c", command], cwd=state.workdir, env=state.env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise StepFailed(f"line {line}: RUN {command}\nexited {done.returncode}\n{done.stderr}")


def _to_replay_paths(value: str, state: Replayed) -> str:
    """An ENV value naming a path in the image's WORKDIR (say PATH) names the replayed one."""
    if state.workdir == state.root:
        return value
    image_workdir = "/" + str(state.workdir.relative_to(state.root))
    return value.replace(image_workdir, str(state.workdir))
