"""A three-node RabbitMQ cluster on this machine, from the installed `rabbitmq-server`.

`python -m opd_ops.cluster up|down|status` (or `make cluster` / `make cluster-down`) runs
three nodes, `opd1@localhost`..`opd3@localhost`, on AMQP ports 5681-5683 (distribution ports
25681-25683), each with its own data and log folders under one directory (`$OPD_CLUSTER_DIR`,
default `/tmp/opd-cluster`), one Erlang cookie (a `.erlang.cookie` in that directory's
`home`, which the nodes and our `rabbitmqctl` calls both read), no plugins, and listening on
127.0.0.1 only. It never reads or touches the machine's own broker (its node, its
`/etc/rabbitmq` files, its cookie): each node gets its own environment file, config file and
enabled-plugins file.

Why this shape: the product's partition queues are quorum queues, whose replication and
leader elections only happen on a cluster; the fault tests (tests/faults/test_cluster_*.py)
stop and restart these nodes while bookings flow. Nodes join with `join_cluster` one after the
other (deterministic; classic peer discovery races when nodes boot together), and a policy
`queue-leader-locator: balanced` is set before any queue exists, so the product's queues get
their leaders spread over the nodes (RabbitMQ 3.10 supports the key; a queue's declared
`x-queue-leader-locator` could never change afterwards, a policy can).

Measured here (2 cores, RabbitMQ 3.10.8): a node boots in about 5-8 s, `up` takes about
25-30 s, `down` about 8 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Cluster", "ClusterError", "Node", "cluster_available"]

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")  # the Debian package's, not the
CTL_DIR = SERVER.parent  # /usr/sbin wrappers, which switch to the rabbitmq user and its cookie
LEADERS_POLICY = {"queue-leader-locator": "balanced"}


class ClusterError(RuntimeError):
    """A node did not start, stop or join as asked."""


def cluster_available() -> str | None:
    """Why the cluster cannot run on this machine, or None when it can."""
    if not SERVER.exists():
        return f"{SERVER} is missing: install the rabbitmq-server package"
    if not shutil.which("epmd") and not (CTL_DIR / "rabbitmqctl").exists():
        return "the Erlang runtime of rabbitmq-server is missing"
    return None


@dataclass(frozen=True)
class Node:
    """One member: its own name, ports and folders; everything else comes from the cluster."""

    number: int
    prefix: str
    amqp_port: int
    dist_port: int
    folder: Path

    @property
    def name(self) -> str:
        return f"{self.prefix}{self.number}@localhost"

    @property
    def pid_file(self) -> Path:
        return self.folder / "pid"

    def url(self, vhost: str = "") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{vhost}"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid


@dataclass
class Cluster:
    """Three (or `size`) nodes on consecutive ports, all state under `base`."""

    base: Path = field(default_factory=lambda: Path(os.environ.get("OPD_CLUSTER_DIR",
                                                                    "/tmp/opd-cluster")))
    first_port: int = 5681
    size: int = 3
    prefix: str = "opd"
    boot_seconds: float = 90

    @property
    def nodes(self) -> list[Node]:
        return [Node(n, self.prefix, self.first_port + n - 1, self.first_port + 20000 + n - 1,
                     self.base / f"{self.prefix}{n}") for n in range(1, self.size + 1)]

    def node(self, name_or_number: str | int) -> Node:
        return next(n for n in self.nodes if name_or_number in (n.name, n.number))

    def amqp_url(self, vhost: str = "") -> str:
        """Every node's URL, comma-separated: what OPD_AMQP_URL takes for a cluster."""
        return ",".join(node.url(vhost) for node in self.nodes)

    # -- the environment every node and every CLI call shares ------------------------------

    @property
    def home(self) -> Path:
        return self.base / "home"  # holds the one .erlang.cookie

    def _prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20).upper())
            cookie.chmod(0o400)
        for node in self.nodes:
            node.folder.mkdir(parents=True, exist_ok=True)
            (node.folder / "rabbitmq-env.conf").write_text("# on purpose empty: see cluster.py\n")
            (node.folder / "enabled_plugins").write_text("[].\n")
            (node.folder / "rabbitmq.conf").write_text(
                f"listeners.tcp.local = 127.0.0.1:{node.amqp_port}\n"
                # a node cut off from the majority pauses instead of serving stale state
                "cluster_partition_handling = pause_minority\n"
                # four brokers share this machine: each may use less memory than alone
                "vm_memory_high_watermark.relative = 0.2\n")

    def _env(self, node: Node) -> dict[str, str]:
        folder = node.folder
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            "HOME": str(self.home),
            "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(node.pid_file),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def ctl(self, node: Node, *args: str, tool: str = "rabbitmqctl", timeout: float = 120,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """A CLI tool against one node, with the cluster's cookie."""
        done = subprocess.run([str(CTL_DIR / tool), "-n", node.name, *args],
                              env=self._env(node), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise ClusterError(f"{tool} {' '.join(args)} on {node.name}: "
                               f"{(done.stderr or done.stdout).strip()[-800:]}")
        return done

    # -- one node ------------------------------------------------------------------------

    def start_node(self, node: Node) -> None:
        """Boot a node (a fresh one, or one that was a member: it rejoins by itself) and wait
        until it serves AMQP."""
        if node.pid():
            return
        node.pid_file.unlink(missing_ok=True)  # a crashed node's, which `wait` would trust
        with (node.folder / "server.out").open("ab") as out:
            subprocess.Popen([str(SERVER)], env=self._env(node), stdout=out, stderr=out,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.ctl(node, "wait", "--timeout", str(int(self.boot_seconds)), str(node.pid_file),
                 timeout=self.boot_seconds + 30)

    def stop_node(self, node: Node) -> None:
        """Shut a node down as an operator would, and wait until its process is gone."""
        pid = node.pid()
        if pid is None:
            return
        self.ctl(node, "stop", str(node.pid_file), check=False, timeout=90)
        self._wait_gone(pid, 60)

    def kill_node(self, node: Node) -> None:
        """SIGKILL a node's runtime: a crash (and the last resort of `down`). Only that
        process: its helpers exit with it, and epmd, which other brokers use, stays."""
        pid = node.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            self._wait_gone(pid, 10)

    @staticmethod
    def _wait_gone(pid: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.2)

    def safe_to_stop(self, node: Node, seconds: float = 120) -> None:
        """Wait until every quorum queue with a member on `node` has enough members online
        elsewhere that stopping it keeps their quorum (what a rolling upgrade waits for)."""
        self.ctl(node, "await_online_quorum_plus_one", "-t", str(int(seconds)),
                 tool="rabbitmq-upgrade", timeout=seconds + 30)

    # -- the whole cluster ---------------------------------------------------------------

    def up(self) -> None:
        """Start every node; join the others to the first; spread queue leaders."""
        self._prepare()
        first, *others = self.nodes
        self.start_node(first)
        for node in others:
            self.start_node(node)
            if first.name not in self.running_nodes(node):
                self.ctl(node, "stop_app")
                self.ctl(node, "join_cluster", first.name)
                self.ctl(node, "start_app")
        self.ctl(first, "set_policy", "--apply-to", "queues", "opd-leaders", ".*",
                 json.dumps(LEADERS_POLICY))
        missing = {n.name for n in self.nodes} - set(self.running_nodes(first))
        if missing:
            raise ClusterError(f"not running in the cluster: {sorted(missing)}")

    def down(self, remove: bool = True) -> None:
        """Stop every node (all at once: nobody waits for a quorum any more), then remove the
        data folders unless `remove` is False."""
        running = [(node, node.pid()) for node in self.nodes]
        for node, pid in running:
            if pid is not None:
                self.ctl(node, "stop", str(node.pid_file), check=False, timeout=90)
        for node, pid in running:
            if pid is not None:
                self._wait_gone(pid, 30)
                self.kill_node(node)
        if remove and self.base.exists():
            shutil.rmtree(self.base, ignore_errors=True)

    def running_nodes(self, via: Node | None = None) -> list[str]:
        """The members running now, as one live node sees them ([] when none answers)."""
        for node in [via] if via else self.nodes:
            if node.pid() is None:
                continue
            done = self._ask(node, "cluster_status", "--formatter", "json")
            if done and done.returncode == 0:
                return list(json.loads(done.stdout).get("running_nodes", []))
        return []

    def queue_members(self, vhost: str) -> dict[str, dict[str, object]]:
        """Each quorum queue of `vhost`: its leader and members, as the cluster reports them."""
        for node in self.nodes:
            if node.pid() is None:
                continue
            done = self._ask(node, "list_queues", "-p", vhost, "name", "type", "leader",
                             "members", "--formatter", "json")
            if done and done.returncode == 0:
                return {q["name"]: q for q in json.loads(done.stdout) if q["type"] == "quorum"}
        return {}

    def _ask(self, node: Node, *args: str, seconds: float = 30
             ) -> subprocess.CompletedProcess[str] | None:
        """A read-only CLI question, None when the node does not answer in time (a node busy
        electing leaders, or starved of CPU, may not): the caller asks another node."""
        try:
            return self.ctl(node, *args, "--timeout", str(int(seconds)), check=False,
                            timeout=seconds + 15)
        except subprocess.TimeoutExpired:
            return None

    def add_vhost(self, vhost: str) -> None:
        """A vhost with the leaders policy (a policy belongs to one vhost)."""
        node = next(n for n in self.nodes if n.pid() is not None)
        self.ctl(node, "add_vhost", vhost)
        self.ctl(node, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        self.ctl(node, "set_policy", "-p", vhost, "--apply-to", "queues", "opd-leaders", ".*",
                 json.dumps(LEADERS_POLICY))

    def status(self) -> str:
        lines = []
        for node in self.nodes:
            state = f"running (pid {node.pid()})" if node.pid() else "stopped"
            lines.append(f"{node.name:<16} amqp 127.0.0.1:{node.amqp_port}  "
                         f"dist {node.dist_port}  {state}")
        members = self.running_nodes()
        lines.append(f"running in the cluster: {', '.join(members) or 'none'}")
        lines.append(f"OPD_AMQP_URL={self.amqp_url()}")
        return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opd_ops.cluster", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--keep-data", action="store_true",
                        help="down: keep the data folders (the next up reuses them)")
    args = parser.parse_args(argv)
    why_not = cluster_available()
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    cluster = Cluster()
    started = time.monotonic()
    if args.action == "up":
        cluster.up()
    elif args.action == "down":
        cluster.down(remove=not args.keep_data)
    print(cluster.status())
    if args.action != "status":
        print(f"{args.action} took {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
