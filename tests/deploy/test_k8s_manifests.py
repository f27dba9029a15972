"""deploy/k8s is valid Kubernetes, locked down, observable, and enough for every process to
start in production mode; its migration Job migrates what the services migrate."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sys
from importlib.resources import files

import asyncpg
import kubernetes_validate
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from allocator.settings import AllocatorSettings
from analytics.settings import AnalyticsSettings
from booking_gateway.settings import GatewaySettings
from interop.settings import InteropSettings
from notifier.settings import NotifierSettings
from opd_shared import tracing
from opd_shared.settings import ServiceSettings
from queue_view.settings import QueueViewSettings

from .k8s_manifests import (
    K8S,
    applied,
    containers,
    documents,
    kustomization,
    manifest_files,
    pod_env,
)

KUBERNETES = "1.35.0"  # the oldest Kubernetes still maintained as this is written (late 2026)
APPLIED = applied()
CONFIG = next(doc["data"] for doc in APPLIED if doc["kind"] == "ConfigMap")
EXAMPLE_SECRET = documents(K8S / "secret.example.yaml")[0]["stringData"]
SECRET_NAME = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN)$")
SETTINGS = {"booking_gateway": GatewaySettings, "allocator": AllocatorSettings,
            "queue_view": QueueViewSettings, "analytics": AnalyticsSettings,
            "notifier": NotifierSettings, "interop": InteropSettings}
SERVERS = [(doc, c) for doc, c in containers(APPLIED) if doc["kind"] == "Deployment"]
MIGRATE = next(c for doc, c in containers(APPLIED) if doc["kind"] == "Job")
# What OPD_ENV=production refuses to start without, in every process.
REQUIRED_SECRETS = {"OPD_AMQP_URL", "OPD_POSTGRES_URL", "OPD_ADMIN_KEY"}
OPTIONAL_SECRETS = {"OPD_WEBHOOK_SECRET", "OPD_MSG91_AUTHKEY",  # the notifier's channels
                    "OPD_ABDM_CLIENT_SECRET", "OPD_ABDM_API_KEY"}  # interop's ABDM side
# What an operator puts into the Secret: credentials no development default matches.
REAL_SECRETS = {"OPD_AMQP_URL": "amqp://opd:broker-pass-1@rabbitmq:5672/",
                "OPD_POSTGRES_URL": "postgresql+asyncpg://opd:db-pass-1@postgres:5432",
                "OPD_ADMIN_KEY": secrets.token_urlsafe(32),
                "OPD_METRICS_KEY": secrets.token_urlsafe(32)}


def settings_class(container: dict) -> type[ServiceSettings]:
    """The process a container runs, by the app module its uvicorn command names."""
    return SETTINGS[container["command"][1].split(".")[0]]


def settings_classes(workload: dict, container: dict) -> set[type[ServiceSettings]]:
    """What the process reads: the migration Job every service's; a tool the shared one."""
    if workload["kind"] == "Deployment":
        return {settings_class(container)}
    return set(SETTINGS.values()) if container is MIGRATE else {ServiceSettings}


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_every_manifest_is_valid_kubernetes_with_no_unknown_field(path):
    for doc in documents(path):
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_kustomizations_apply_every_manifest_but_the_secret_example_with_one_image():
    listed = {folder / name for folder in (K8S, K8S / "migrate")
              for name in kustomization(folder)["resources"]}
    images = [kustomization(folder)["images"] for folder in (K8S, K8S / "migrate")]

    assert listed == set(manifest_files()) - {K8S / "secret.example.yaml"}
    assert images[0] == images[1] and len(images[0]) == 1
    tag = images[0][0]["newTag"]
    assert tag and tag != "latest"
    assert {c["image"] for _, c in containers(APPLIED)} == {f"{images[0][0]['name']}:{tag}"}


def test_every_container_has_resource_limits_and_every_server_probes_health_and_readiness():
    for _, container in containers(APPLIED):
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, container["name"]
    for _, container in SERVERS:
        port = container["ports"][0]
        assert container["command"][container["command"].index("--port") + 1] == str(
            port["containerPort"])
        for probe, path in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                            ("readinessProbe", "/readyz")]:
            assert container[probe]["httpGet"] == {"path": path, "port": port["name"]}


def test_the_http_services_autoscale_and_two_allocators_stand_by_for_each_other():
    scaled = {doc["spec"]["scaleTargetRef"]["name"] for doc in APPLIED
              if doc["kind"] == "HorizontalPodAutoscaler"}
    allocator = next(doc for doc, c in SERVERS if settings_class(c) is AllocatorSettings)

    assert scaled == {doc["metadata"]["name"] for doc, _ in SERVERS} - {"opd-allocator"}
    assert allocator["spec"]["replicas"] >= 2


def test_no_credential_is_written_in_plain_text():
    literal = {**CONFIG, **{item["name"]: item["value"] for _, c in containers(APPLIED)
                            for item in c.get("env", []) if "value" in item}}

    assert not [doc for doc in APPLIED if doc["kind"] == "Secret"]
    assert not [name for name in literal if SECRET_NAME.search(name)]
    assert not [value for value in literal.values() if re.search(r"://[^/@]*:[^/@]*@", value)]
    assert all(re.fullmatch(r"<[^<>]+>", value) for value in EXAMPLE_SECRET.values())


def test_every_process_starts_in_production_mode_with_what_its_pod_is_given(monkeypatch):
    for name in [name for name in os.environ if name.startswith("OPD_")]:
        monkeypatch.delenv(name)
    assert set(EXAMPLE_SECRET) == set(REAL_SECRETS)
    for workload, container in containers(APPLIED):
        server = workload["kind"] == "Deployment"
        refs = {i["valueFrom"]["secretKeyRef"]["key"] for i in container["env"] if "valueFrom" in i
                and not i["valueFrom"]["secretKeyRef"].get("optional")}
        assert refs == REQUIRED_SECRETS | ({"OPD_METRICS_KEY"} if server else set())
        # The notifier's channels and interop's ABDM credentials are optional: without them
        # the notifier records and sends nothing, and interop serves FHIR alone.
        assert {i["valueFrom"]["secretKeyRef"]["key"] for i in container["env"]
                if "valueFrom" in i and i["valueFrom"]["secretKeyRef"].get("optional")
                } <= OPTIONAL_SECRETS
        for name, value in pod_env(container, CONFIG, REAL_SECRETS).items():
            monkeypatch.setenv(name, value)
        for cls in settings_classes(workload, container):
            settings = cls(_env_file=None)  # refuses to start on any development default
            assert (settings.env, settings.api_docs) == ("production", False)
            assert settings.metrics_key is not None or not server  # /metrics needs the key
        for name in refs:
            monkeypatch.delenv(name)


def test_every_service_runs_in_the_cluster_behind_a_service_of_its_own():
    commands = {c["command"][1] for _, c in SERVERS}
    services = {doc["metadata"]["name"]: doc["spec"]["ports"][0]["port"] for doc in APPLIED
                if doc["kind"] == "Service"}

    addresses = {value.removeprefix("http://") for name, value in CONFIG.items()
                 if name.startswith("OPD_") and name.endswith("_URL")}

    assert {command.split(".")[0] for command in commands} == set(SETTINGS)
    assert {doc["metadata"]["name"]: c["ports"][0]["containerPort"] for doc, c in SERVERS
            } == services
    # What one service calls another by (interop the gateway and queue-view, queue-view the
    # allocator) names a Service that exists, on its port.
    assert addresses and addresses <= {f"{name}:{port}" for name, port in services.items()}


def test_tracing_is_switched_in_the_config_map_alone_and_is_off_until_then(monkeypatch):
    """One place for the operator: every pod reads the OTEL_* variables from opd-config, none
    sets its own, and as shipped no process starts tracing. OTEL_SERVICE_NAME would name
    every process alike, so the shared map leaves it to each service's default."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    for name, value in {k: v for k, v in CONFIG.items() if k.startswith("OTEL_")}.items():
        monkeypatch.setenv(name, value)

    assert {"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"} <= set(CONFIG)
    assert "OTEL_SERVICE_NAME" not in CONFIG
    for _, container in containers(APPLIED):
        assert {"configMapRef": {"name": "opd-config"}} in container["envFrom"], container["name"]
        assert not [i for i in container.get("env", []) if i["name"].startswith("OTEL_")]
    assert tracing.configure("k8s-manifest-check") is False


def test_every_allocator_pod_prefers_every_command_queue_so_any_can_take_any_over():
    container = next(c for _, c in SERVERS if settings_class(c) is AllocatorSettings)
    values = {k.removeprefix("OPD_").lower(): v
              for k, v in pod_env(container, CONFIG, REAL_SECRETS).items() if k.startswith("OPD_")}
    settings = AllocatorSettings(_env_file=None, **values)

    assert all(settings.prefers(q) for q in range(settings.topology.command_queues))


async def test_the_migration_job_brings_every_database_to_its_head(infra):
    namespace = infra.namespace("k8s_migrate")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPD_")}
    env.update(infra.env(namespace), OPD_ENV="development")  # the test servers' guest logins
    job = await asyncio.create_subprocess_exec(sys.executable, "-c", MIGRATE["args"][0], env=env)

    assert await asyncio.wait_for(job.wait(), 90) == 0
    server = make_url(infra.postgres_url).set(drivername="postgresql")
    for database, package in [("access", "opd_shared.access"), ("allocator", "allocator"),
                              ("queue_view", "queue_view"), ("analytics", "analytics"),
                              ("notifier", "notifier"), ("interop", "interop")]:
        url = server.set(database=f"{namespace}_{database}").render_as_string(False)
        conn = await asyncpg.connect(url)
        try:
            version = await conn.fetchval("SELECT version_num FROM alembic_version")
        finally:
            await conn.close()
        assert version == ScriptDirectory(str(files(package) / "migrations")).get_current_head()
