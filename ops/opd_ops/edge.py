"""deploy/edge's nginx, run on this machine as docker-compose runs it: for the tests and the
cluster runs that go through the one base URL.

The template is filled the way the nginx image fills it (envsubst of `${...}`, nginx's own
`$variables` left alone), and refused when an upstream it names is not given, so the
template and every caller stay in step when a service joins the edge.
"""

from __future__ import annotations

import contextlib
import re
import string
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from opd_ops.processes import _die_with_parent, free_port

__all__ = ["EDGE_TEMPLATE", "UPSTREAM_VARIABLES", "Edge", "render"]

EDGE_TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "edge" / "opd.conf.template"
# Each upstream of the template, by the variable docker-compose's `edge` service sets.
UPSTREAM_VARIABLES = {"gateway": "OPD_GATEWAY_UPSTREAM", "queue_view": "OPD_QUEUE_VIEW_UPSTREAM",
                      "analytics": "OPD_ANALYTICS_UPSTREAM", "interop": "OPD_INTEROP_UPSTREAM"}
NGINX_MAIN = """worker_processes 1; daemon off; pid {dir}/nginx.pid; error_log {dir}/error.log;
events {{}}
http {{ access_log off; client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
       fastcgi_temp_path {dir}/fcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
       include {dir}/opd.conf; }}
"""


def render(servers: Mapping[str, str], port: int) -> str:
    """The template with each upstream's `server` line(s) and the port filled in."""
    if missing := UPSTREAM_VARIABLES.keys() - servers.keys():
        raise ValueError(f"the edge needs an address for {sorted(missing)}")
    values = {UPSTREAM_VARIABLES[name]: address for name, address in servers.items()}
    text = string.Template(EDGE_TEMPLATE.read_text()).safe_substitute(
        values, OPD_EDGE_PORT=str(port))
    if unfilled := re.findall(r"\$\{\w+\}", text):
        raise ValueError(f"the template names {unfilled}, which nothing fills")
    return text


@dataclass
class Edge:
    """nginx with deploy/edge's configuration, each upstream naming every process."""

    folder: Path
    upstreams: dict[str, list[int]]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        servers = {name: "; server ".join(f"127.0.0.1:{p} max_fails=1 fail_timeout=2s"
                                          for p in ports)
                   for name, ports in self.upstreams.items()}
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "opd.conf").write_text(render(servers, self.port))
        (self.folder / "nginx.conf").write_text(NGINX_MAIN.format(dir=self.folder))
        self.process = subprocess.Popen(["nginx", "-c", str(self.folder / "nginx.conf"),
                                         "-p", str(self.folder)], preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited (see {self.folder}/error.log)")
            if time.monotonic() > deadline:
                raise TimeoutError("the edge did not answer")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
