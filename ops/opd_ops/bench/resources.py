"""CPU and memory of each service process, and the CPU of the servers they share (RabbitMQ
and PostgreSQL, on this machine too), while a run goes on; PostgreSQL's also by database,
so that its share of a booking can be laid at the service whose statements spent it; and
the whole machine's CPU: how much of it stood idle, waited for the disk, and how much
the host took (steal).

Why the machine's too: at 1,000 bookings/s the services take ~165 % of the 200 % two cores
give, and a run's p99 moves by half from one minute to the next with the same code
(BENCHMARKS.md, seventeenth session). Whether a slow half-second had the CPU taken away by
the hypervisor (a virtual machine's steal time, `/proc/stat`), left idle while a flush to
the disk held everyone (iowait), or spent on something no sampled process owns (the
kernel's network work, another tenant's process) is then read from the run, not guessed."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import psutil

__all__ = ["BACKGROUND", "SERVERS", "Sampler", "machine_over_run", "machine_shares",
           "postgres_database"]

# The servers' process names. PostgreSQL is one process per connection, so its figure is
# the sum over all of them (connections opened during the run count from their start).
SERVERS = {"rabbitmq": "beam.smp", "postgresql": "postgres"}
BACKGROUND = "background"  # PostgreSQL's own processes: the WAL writer, checkpoints, vacuum
_CLIENT = re.compile(r"\S+\(\d+\)")  # a backend's client: host(port)


def postgres_database(title: str, namespace: str) -> str:
    """Whose a PostgreSQL process's CPU is, from its title: a backend's names its database
    before its client (`postgres: 15/main: <user> <database> <host>(<port>) <state>`, the
    state words such as "idle in transaction" after it); the namespace's databases are
    `<namespace>_<service>`. The server's own processes name no client: BACKGROUND; a
    connection to any other database is "other"."""
    words = title.split()
    client = next((i for i, word in enumerate(words)
                   if i > 1 and (_CLIENT.fullmatch(word) or word == "[local]")), None)
    if client is None:
        return BACKGROUND
    database, prefix = words[client - 1], f"{namespace}_"
    return database.removeprefix(prefix) if database.startswith(prefix) else "other"


def machine_shares(before: NamedTuple, after: NamedTuple,
                   cores: int) -> dict[str, float]:
    """The whole machine's CPU between two readings of `psutil.cpu_times()`, in % of one
    core as every other figure here (so 200 for two cores): `busy` (whatever ran, ours or
    not), `idle`, `iowait` (idle while a process waited for the disk: a stall on a flush
    shows here) and `stolen` (the host ran another guest while this one had work)."""
    spent = {name: getattr(after, name) - getattr(before, name) for name in after._fields}
    # guest time is counted in user time already (proc(5)); summing both would count it twice
    total = sum(value for name, value in spent.items() if not name.startswith("guest"))
    shares = {"idle": spent["idle"], "iowait": spent.get("iowait", 0.0),
              "stolen": spent.get("steal", 0.0)}
    if total <= 0:
        return {"busy": 0.0, **dict.fromkeys(shares, 0.0)}
    return {name: 100.0 * cores * value / total
            for name, value in {"busy": total - sum(shares.values()), **shares}.items()}


def machine_over_run(machine: dict[str, list[float]], cores: int) -> dict[str, float]:
    """The machine's idle, iowait and stolen CPU over a run (each half-second's
    `machine_shares`), in % of all its cores."""
    return {name: sum(values) / max(len(values), 1) / cores
            for name, values in machine.items() if name != "busy"}


SAMPLE_S = 0.5  # short enough to place a spell of a few hundred ms (opd_ops.bench.timeline)


@dataclass
class Sampler:
    """Samples every `SAMPLE_S` in a thread of its own; `sampled_at` is each sample's
    `time.monotonic()`, the clock the load generator times its requests by."""

    pids: dict[str, int]
    namespace: str = ""
    sampled_at: list[float] = field(default_factory=list)
    cpu_percent: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)
    postgres_percent: dict[str, list[float]] = field(default_factory=dict)
    machine: dict[str, list[float]] = field(default_factory=dict)
    watched_percent: dict[str, list[float]] = field(default_factory=dict)
    _watched: dict[str, psutil.Process] = field(default_factory=dict)
    _seen: dict[int, psutil.Process] = field(default_factory=dict)
    _databases: dict[int, str] = field(default_factory=dict)

    def __enter__(self) -> Sampler:
        self._processes = {name: psutil.Process(pid) for name, pid in self.pids.items()}
        for process in self._processes.values():
            process.cpu_percent(None)  # the first reading only starts the clock
        self._servers()
        self.cores = psutil.cpu_count() or 1
        self._cpu_times = psutil.cpu_times()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.sampled_at.append(time.monotonic())
            for name, process in self._processes.items():
                self.cpu_percent.setdefault(name, []).append(process.cpu_percent(None))
                self.rss_mb.setdefault(name, []).append(process.memory_info().rss / 2**20)
            for server, percent in self._servers().items():
                self.cpu_percent.setdefault(server, []).append(percent)
            for name, process in self._watched.items():
                # zeros for the samples before it was watched: every series, one length
                series = self.watched_percent.setdefault(name, [0.0] * (len(self.sampled_at) - 1))
                try:
                    series.append(process.cpu_percent(None))
                except psutil.NoSuchProcess:  # it ended before the sampler did
                    series.append(0.0)
            before, self._cpu_times = self._cpu_times, psutil.cpu_times()
            for name, percent in machine_shares(before, self._cpu_times, self.cores).items():
                self.machine.setdefault(name, []).append(percent)

    def watch(self, name: str, pid: int) -> None:
        """Sample a process started during the run too (the load generator), for the
        timeline only: `summary` is the services' and servers', and the generator reports
        its own CPU."""
        process = psutil.Process(pid)
        process.cpu_percent(None)  # the first reading only starts the clock
        self._watched = {**self._watched, name: process}  # a new dict: the thread iterates

    def _servers(self) -> dict[str, float]:
        """Each server's CPU since the last call, summed over its processes; PostgreSQL's
        by database too (`postgres_percent`)."""
        percent, live = dict.fromkeys(SERVERS, 0.0), {}
        by_database: dict[str, float] = {}
        for process in psutil.process_iter(["name"]):
            server = next((s for s, name in SERVERS.items() if process.info["name"] == name),
                          None)
            if server is None:
                continue
            live[process.pid] = known = self._seen.get(process.pid, process)  # keeps its clock
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                used = known.cpu_percent(None)
                percent[server] += used
                if server == "postgresql":
                    database = self._database(known)
                    by_database[database] = by_database.get(database, 0.0) + used
        self._seen = live  # processes gone since are forgotten
        self._databases = {pid: db for pid, db in self._databases.items() if pid in live}
        for database, used in by_database.items():
            self.postgres_percent.setdefault(database, []).append(used)
        return percent

    def _database(self, process: psutil.Process) -> str:
        """Read once a process: a backend serves one database for its life."""
        if process.pid not in self._databases:
            self._databases[process.pid] = postgres_database(" ".join(process.cmdline()),
                                                             self.namespace)
        return self._databases[process.pid]

    def summary(self) -> dict[str, dict[str, float]]:
        return {name: {"cpu_percent": sum(values) / max(len(values), 1),
                       "rss_mb_last": self.rss_mb[name][-1] if self.rss_mb.get(name) else 0.0,
                       "rss_mb_first": self.rss_mb[name][0] if self.rss_mb.get(name) else 0.0}
                for name, values in self.cpu_percent.items()}

    def machine_summary(self) -> dict[str, float]:
        return {f"machine_{name}_percent": percent
                for name, percent in machine_over_run(self.machine, self.cores).items()}

    def postgres_summary(self) -> dict[str, float]:
        """PostgreSQL's CPU (% of one core) by database, averaged as `summary` averages:
        over the samples taken (a database first seen late counts its absence as idle)."""
        samples = max(len(self.cpu_percent.get("postgresql", [])), 1)
        return {database: sum(values) / samples
                for database, values in sorted(self.postgres_percent.items())}
