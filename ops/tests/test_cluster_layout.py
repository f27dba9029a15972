"""`opd_ops.cluster` gives each node its own name, ports and folders, one cookie, and
nothing of the machine's own broker (starting the nodes is tests/faults/test_cluster_*.py)."""

from __future__ import annotations

from opd_ops.cluster import Cluster
from opd_shared.broker_nodes import node_urls


def test_each_node_has_its_own_name_ports_and_folders(tmp_path):
    nodes = Cluster(base=tmp_path).nodes

    assert [n.name for n in nodes] == ["opd1@localhost", "opd2@localhost", "opd3@localhost"]
    assert [n.amqp_port for n in nodes] == [5681, 5682, 5683]
    assert [n.dist_port for n in nodes] == [25681, 25682, 25683]
    assert len({n.folder for n in nodes}) == 3
    assert all(n.folder.parent == tmp_path for n in nodes)


def test_the_nodes_read_only_their_own_files_and_share_one_cookie(tmp_path, monkeypatch):
    monkeypatch.setenv("RABBITMQ_NODENAME", "rabbit@localhost")  # the machine's broker's
    monkeypatch.setenv("RABBITMQ_CONFIG_FILE", "/etc/rabbitmq/rabbitmq.conf")
    cluster = Cluster(base=tmp_path)
    cluster._prepare()
    envs = [cluster._env(node) for node in cluster.nodes]

    for node, env in zip(cluster.nodes, envs, strict=True):
        assert env["RABBITMQ_NODENAME"] == node.name
        for name in ("RABBITMQ_CONF_ENV_FILE", "RABBITMQ_CONFIG_FILE", "RABBITMQ_MNESIA_BASE",
                     "RABBITMQ_LOG_BASE", "RABBITMQ_ENABLED_PLUGINS_FILE"):
            assert env[name].startswith(str(node.folder)), name
        assert f"127.0.0.1:{node.amqp_port}" in (node.folder / "rabbitmq.conf").read_text()
    assert {env["HOME"] for env in envs} == {str(tmp_path / "home")}
    assert (tmp_path / "home" / ".erlang.cookie").stat().st_mode & 0o777 == 0o400


def test_the_cluster_url_names_every_node_in_one_vhost(tmp_path):
    urls = node_urls(Cluster(base=tmp_path, first_port=5691).amqp_url("opd"))

    assert urls == [f"amqp://guest:guest@127.0.0.1:{port}/opd" for port in (5691, 5692, 5693)]
