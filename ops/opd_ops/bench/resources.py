"""CPU and memory of each service process while a run goes on."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psutil

__all__ = ["Sampler"]


@dataclass
class Sampler:
    """Samples each process every second in a thread of its own."""

    pids: dict[str, int]
    cpu_percent: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)

    def __enter__(self) -> Sampler:
        self._processes = {name: psutil.Process(pid) for name, pid in self.pids.items()}
        for process in self._processes.values():
            process.cpu_percent(None)  # the first reading only starts the clock
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

    def summary(self) -> dict[str, dict[str, float]]:
        return {name: {"cpu_percent": sum(values) / max(len(values), 1),
                       "rss_mb_last": self.rss_mb[name][-1] if self.rss_mb.get(name) else 0.0,
                       "rss_mb_first": self.rss_mb[name][0] if self.rss_mb.get(name) else 0.0}
                for name, values in self.cpu_percent.items()}
