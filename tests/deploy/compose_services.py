"""The services docker-compose.yml builds from this repo's own image recipe."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from dockerfile_parse import DockerfileParser

__all__ = ["BuiltService", "built_services", "compose_config", "filled_example"]


@dataclass(frozen=True)
class BuiltService:
    name: str
    context: Path
    dockerfile: Path
    command: list[str]
    environment: dict[str, str]
    programs: list[str]  # what the command and the health check start, looked up on PATH


def built_services(compose_file: Path, env: dict[str, str]) -> list[BuiltService]:
    """Services with a `build:`; images pulled from elsewhere (RabbitMQ, nginx) are not ours.

    As compose runs them: `${VAR}` filled in from `env` by docker-compose itself."""
    rendered = compose_config(compose_file, env)
    assert rendered.returncode == 0, rendered.stderr
    services = yaml.safe_load(rendered.stdout)["services"]
    return [_built(name, spec, compose_file.parent)
            for name, spec in services.items() if "build" in spec]


def compose_config(compose_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`docker-compose config` with only `env` for variables: not this shell's OPD_*, nor a
    developer's .env beside the file (`make run` writes one)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPD_", "COMPOSE_"))}
    with tempfile.NamedTemporaryFile("w", suffix=".env") as env_file:
        env_file.write("".join(f"{key}={value}\n" for key, value in env.items()))
        env_file.flush()
        return subprocess.run(
            ["docker-compose", "-f", str(compose_file), "--env-file", env_file.name, "config"],
            env=clean, capture_output=True, text=True, check=False)


def filled_example(example: Path) -> dict[str, str]:
    """deploy/env.example as a careful operator fills it in: every empty value set to a
    long, URL-safe secret of its own."""
    lines = [line.split("=", 1) for line in example.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return {key: value or f"test-{key.lower().replace('_', '-')}-0123456789abcdef"
            for key, value in lines}


def _built(name: str, spec: dict, project: Path) -> BuiltService:
    context = (project / spec["build"]["context"]).resolve()
    dockerfile = context / spec["build"].get("dockerfile", "Dockerfile")
    command = _argv(spec.get("command") or DockerfileParser(str(dockerfile)).cmd)
    health = spec.get("healthcheck", {}).get("test", [])
    # ["CMD", program, ...] runs a program; ["CMD-SHELL", ...] and "..." need only a shell.
    health_program = [health[1]] if health[:1] == ["CMD"] else []
    environment = spec.get("environment", {})
    if isinstance(environment, list):  # the "KEY=value" list form
        environment = dict(item.split("=", 1) for item in environment)
    return BuiltService(
        name=name,
        context=context,
        dockerfile=dockerfile,
        command=command,
        environment={key: str(value) for key, value in environment.items()},
        programs=[command[0], *health_program],
    )


def _argv(command: str | list[str]) -> list[str]:
    """A command as compose or a Dockerfile's JSON form lists it, or split as a shell would."""
    if isinstance(command, list):
        return command
    return json.loads(command) if command.startswith("[") else shlex.split(command)
