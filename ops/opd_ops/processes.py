"""The five services as real processes, as `make run` starts them: for tests and the bench."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from opd_ops.dsn import server_dsn

__all__ = ["APPS", "Service", "System", "free_port"]

APPS = {
    "allocator": "allocator.main:create_app",
    "gateway": "booking_gateway.main:create_app",
    "queue_view": "queue_view.main:create_app",
    "analytics": "analytics.main:create_app",
    "notifier": "notifier.main:create_app",
}


def _die_with_parent() -> None:
    """Linux: the service gets SIGTERM if the test or bench that started it is killed, so an
    interrupted run never leaves services behind."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_socket(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (`port` 0: a free one), for a service to inherit."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(2048)  # uvicorn's own backlog
    listener.set_inheritable(True)
    return listener


@dataclass
class Service:
    """A service process on its own port. The port is held from the moment the Service is
    made and handed to the process as an open socket (`opd_ops.serve`): with a port number
    alone, another process could take it meanwhile, and this one's /readyz would ask that
    process instead (seen once in the suite: a test talked to another test's service)."""

    name: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    quiet: bool = False
    log: Path | None = None  # where its output goes, when not inherited or silenced
    listener: socket.socket | None = field(default_factory=listening_socket, repr=False)
    port: int = 0  # the listener's

    def __post_init__(self) -> None:
        if self.listener is not None:
            self.port = self.listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Run it on its socket; a restart binds the same port again."""
        listener, self.listener = self.listener or listening_socket(self.port), None
        command = [sys.executable, "-m", "opd_ops.serve", APPS[self.name],
                   str(listener.fileno())]
        output: int | IO[bytes] | None = subprocess.DEVNULL if self.quiet else None
        with contextlib.ExitStack() as files:
            files.callback(listener.close)  # the child holds its own copy
            if self.log:  # closed here once started: the child holds its own copy
                output = files.enter_context(self.log.open("ab"))
            self.process = subprocess.Popen(command, env={**os.environ, **self.env},
                                            stdout=output, stderr=output,
                                            pass_fds=(listener.fileno(),),
                                            preexec_fn=_die_with_parent)

    def wait_ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited while starting")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} was not ready within {seconds} s")

    def stop(self, sig: int = signal.SIGTERM, patience: float = 20) -> int | None:
        """Signal the process and wait; one that outstays `patience` is killed. Returns its
        exit code (negative: the signal that ended it), None if it was not running."""
        if not self.process or self.process.poll() is not None:
            return None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=patience)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@dataclass
class System:
    """One process per service, all in one namespace (queues, exchanges, databases)."""

    namespace: str
    postgres_url: str
    env: dict[str, str]
    quiet: bool = False
    services: dict[str, Service] = field(default_factory=dict)
    extras: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.services = {name: Service(name, self.env, quiet=self.quiet) for name in APPS}

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def start(self) -> None:
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready()

    def stop(self) -> None:
        for service in [*self.services.values(), *self.extras]:
            service.stop()

    def spawn(self, name: str) -> Service:
        """One more process of a service (a second allocator or gateway)."""
        extra = Service(name, self.env, quiet=self.quiet)
        extra.start()
        extra.wait_ready()
        self.extras.append(extra)
        return extra

    @property
    def server_dsn(self) -> str:
        """The PostgreSQL server, as asyncpg takes it (no database)."""
        return server_dsn(self.postgres_url)

    @property
    def allocator_dsn(self) -> str:
        return f"{self.server_dsn}/{self.namespace}_allocator"
