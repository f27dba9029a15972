"""The services docker-compose.yml builds from this repo's own image recipe."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml
from dockerfile_parse import DockerfileParser

__all__ = ["BuiltService", "built_services"]


@dataclass(frozen=True)
class BuiltService:
    name: str
    context: Path
    dockerfile: Path
    command: list[str]
    environment: dict[str, str]
    programs: list[str]  # what the command and the health check start, looked up on PATH


def built_services(compose_file: Path) -> list[BuiltService]:
    """Services with a `build:`; images pulled from elsewhere (RabbitMQ, nginx) are not ours."""
    services = yaml.safe_load(compose_file.read_text())["services"]
    return [_built(name, spec, compose_file.parent)
            for name, spec in services.items() if "build" in spec]


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
