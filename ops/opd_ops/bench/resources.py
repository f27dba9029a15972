"""CPU and memory of each service process, and the CPU of the servers they share (RabbitMQ
and PostgreSQL, on this machine too), while a run goes on."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import psutil

__all__ = ["SERVERS", "Sampler"]

# The servers' process names. PostgreSQL is one process per connection, so its figure is
# the sum over all of them (connections opened during the run count from their start).
SERVERS = {"rabbitmq": "beam.smp", "postgresql": "postgres"}


@dataclass
class Sampler:
    """Samples every second in a thread of its own."""

    pids: dict[str, int]
    cpu_percent: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)
    _seen: dict[int, psutil.Process] = field(default_factory=dict)

    def __enter__(self) -> Sampler:
        self._processes = {name: psutil.Process(pid) for name, pid in self.pids.items()}
        for process in self._processes.values():
            process.cpu_percent(None)  # the first reading only starts the clock
        self._servers()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            for name, process in self._processes.items():
                self.cpu_percent.setdefault(name, []).append(process.cpu_percent(None))
                self.rss_mb.setdefault(name, []).append(process.memory_info().rss / 2**20)
            for server, percent in self._servers().items():
                self.cpu_percent.setdefault(server, []).append(percent)

    def _servers(self) -> dict[str, float]:
        """Each server's CPU since the last call, summed over its processes."""
        percent, live = dict.fromkeys(SERVERS, 0.0), {}
        for process in psutil.process_iter(["name"]):
            server = next((s for s, name in SERVERS.items() if process.info["name"] == name),
                          None)
            if server is None:
                continue
            live[process.pid] = known = self._seen.get(process.pid, process)  # keeps its clock
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                percent[server] += known.cpu_percent(None)
        self._seen = live  # processes gone since are forgotten
        return percent

    def summary(self) -> dict[str, dict[str, float]]:
        return {name: {"cpu_percent": sum(values) / max(len(values), 1),
                       "rss_mb_last": self.rss_mb[name][-1] if self.rss_mb.get(name) else 0.0,
                       "rss_mb_first": self.rss_mb[name][0] if self.rss_mb.get(name) else 0.0}
                for name, values in self.cpu_percent.items()}
