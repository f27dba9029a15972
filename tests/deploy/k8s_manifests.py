"""deploy/k8s read as Kubernetes reads it: documents, pod templates, and each container's env."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = ["K8S", "Container", "containers", "documents", "kustomization", "pod_env"]

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
Doc = dict[str, Any]
Container = tuple[Doc, Doc]  # (the workload, one container of its pod template)


def documents(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def applied() -> list[Doc]:
    """What `kubectl apply -k` creates from deploy/k8s and deploy/k8s/migrate."""
    return [doc for folder in (K8S, K8S / "migrate") for name in kustomization(folder)["resources"]
            for doc in documents(folder / name)]


def kustomization(folder: Path) -> Doc:
    return yaml.safe_load((folder / "kustomization.yaml").read_text())


def containers(docs: list[Doc]) -> Iterator[Container]:
    for doc in docs:
        spec = doc.get("spec", {})
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            for container in spec["template"]["spec"]["containers"]:
                yield doc, container


def pod_env(container: Doc, config: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
    """The environment the container starts with: its ConfigMaps, then its own `env`, with
    each secretKeyRef read from `secrets`; a key the Secret lacks must be marked optional."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, source  # only the one ConfigMap is known here
        env.update(config)
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif item["valueFrom"]["secretKeyRef"]["key"] in secrets:
            env[item["name"]] = secrets[item["valueFrom"]["secretKeyRef"]["key"]]
        else:  # a key the Secret may lack: it must say so
            assert item["valueFrom"]["secretKeyRef"].get("optional") is True, item
    return env
