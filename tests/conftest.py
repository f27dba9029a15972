"""Cross-service tests start the services as real processes, as `make run` does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

APPS = {
    "allocator": "allocator.main:create_app",
    "gateway": "booking_gateway.main:create_app",
    "queue_view": "queue_view.main:create_app",
    "analytics": "analytics.main:create_app",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Service:
    name: str
    env: dict[str, str]
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", APPS[self.name], "--factory",
                   "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        self.process = subprocess.Popen(command, env={**os.environ, **self.env})

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process and self.process.poll() is None, f"{self.name} exited"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} was not ready within {seconds} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class System:
    services: dict[str, Service]
    namespace: str
    postgres_url: str
    env: dict[str, str]
    extras: list[Service] = field(default_factory=list)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def spawn(self, name: str) -> Service:
        """One more process of a service (a second allocator or gateway), stopped at the end."""
        extra = Service(name, self.env)
        extra.start()
        extra.wait_ready()
        self.extras.append(extra)
        return extra

    @property
    def allocator_dsn(self) -> str:
        server = self.postgres_url.replace("postgresql+asyncpg://", "postgresql://")
        return f"{server}/{self.namespace}_allocator"


@pytest.fixture(scope="module")
def system(infra) -> Iterator[System]:
    """All four services as processes, in a namespace of their own."""
    namespace = infra.namespace("sys")
    env = infra.env(namespace)
    running = System({name: Service(name, env) for name in APPS}, namespace,
                     infra.postgres_url, env)
    try:
        for service in running.services.values():
            service.start()
        for service in running.services.values():
            service.wait_ready()
        yield running
    finally:
        for service in [*running.services.values(), *running.extras]:
            service.stop()
