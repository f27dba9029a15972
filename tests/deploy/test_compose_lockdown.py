"""docker-compose.yml runs locked down: only HTTP published, secrets from .env with no
defaults, production mode with the admin key, and a broker of a tested version line."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from .compose_services import compose_config, filled_example
from .conftest import COMPOSE_FILE, ENV_EXAMPLE, SERVICES

HTTP_PORTS = {8000, 8001, 8002, 8004, 8005, 8080}  # gateway, queue-view, analytics, interop,
#                                                    notifier, edge
# Variables that carry a credential, in any service: passwords, keys, and the URLs with them.
SECRET_NAME = re.compile(r"(USER|PASS|PASSWORD|KEY|_URL)$")
REQUIRED = re.compile(r"\$\{(\w+):\?[^}]+\}")  # `${VAR:?message}`: no default, never empty
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
needs_compose = pytest.mark.skipif(not shutil.which("docker-compose"),
                                   reason="docker-compose is not installed")


def published(spec: dict, loopback: bool = False) -> set[int]:
    """Container ports reachable from outside (or, `loopback`, from this machine alone), in
    any of compose's port notations."""
    ports = set()
    for port in spec.get("ports", []):
        if isinstance(port, dict):
            host, target = port.get("host_ip", ""), port["target"]
        else:
            parts = str(port).split(":")
            host, target = (parts[0] if len(parts) == 3 else ""), parts[-1]
        if (host == "127.0.0.1") == loopback:
            ports.add(int(str(target).split("/")[0]))
    return ports


def test_only_the_http_ports_are_published():
    exposed = {name: published(spec) for name, spec in COMPOSE.items() if published(spec)}

    assert {"rabbitmq", "postgres", "allocator"}.isdisjoint(exposed), exposed
    assert set().union(*exposed.values()) <= HTTP_PORTS, exposed
    assert not [name for name, spec in COMPOSE.items() if spec.get("network_mode") == "host"]


def test_the_trace_viewer_is_published_on_loopback_alone_and_every_service_traces_to_it():
    on_loopback = {name: published(spec, loopback=True) for name, spec in COMPOSE.items()}
    ours = [name for name, spec in COMPOSE.items() if "build" in spec]

    assert {name: ports for name, ports in on_loopback.items() if ports} == {"jaeger": {16686}}
    assert {COMPOSE[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] for name in ours} == {
        "${OTEL_EXPORTER_OTLP_ENDPOINT:-http://jaeger:4318}"}


def test_no_credential_has_a_default_or_is_written_in_the_file():
    secrets = {f"{name}.{var}": str(value) for name, spec in COMPOSE.items()
               for var, value in (spec.get("environment") or {}).items()
               if SECRET_NAME.search(var)}

    # Each is made of `${VAR:?...}` alone; a URL's user and password too (`//:@` once they
    # are taken out), so nothing in the file names a user, a password or a fallback. A
    # URL without credentials (interop's http://gateway:8000) names none.
    left = {name: REQUIRED.sub("", value) for name, value in secrets.items()}
    loose = {name: value for name, value in left.items()
             if "$" in value or (value and "//:@" not in value
                                 and ("@" in value or "://" not in value))}
    assert {"gateway.OPD_ADMIN_KEY", "postgres.POSTGRES_PASSWORD",
            "rabbitmq.RABBITMQ_DEFAULT_PASS", "allocator.OPD_AMQP_URL"} <= set(secrets)
    assert loose == {}


@needs_compose
def test_compose_stops_until_every_secret_of_the_example_is_filled_in():
    nothing = compose_config(COMPOSE_FILE, {})
    copied_unfilled = compose_config(COMPOSE_FILE, filled_example(ENV_EXAMPLE) | {
        "OPD_POSTGRES_PASSWORD": ""})
    filled = compose_config(COMPOSE_FILE, filled_example(ENV_EXAMPLE))

    assert nothing.returncode != 0 and "see deploy/env.example" in nothing.stderr
    assert copied_unfilled.returncode != 0
    assert filled.returncode == 0, filled.stderr


def test_every_service_runs_in_production_mode_with_the_operators_admin_key():
    admin_key = filled_example(ENV_EXAMPLE)["OPD_ADMIN_KEY"]

    assert {s.name: s.environment.get("OPD_ADMIN_KEY") for s in SERVICES} == {
        s.name: admin_key for s in SERVICES}
    assert {s.environment.get("OPD_ENV") for s in SERVICES} == {"production"}


def test_images_are_pinned_and_the_broker_to_the_tested_3_x_line():
    images = {name: spec["image"] for name, spec in COMPOSE.items() if "build" not in spec}

    assert re.fullmatch(r"rabbitmq:3\.13\.\d+-management", images["rabbitmq"]), images
    untagged = {n: i for n, i in images.items() if not re.search(r":\d+(\.\d+)*(-\w+)?$", i)}
    assert untagged == {}
