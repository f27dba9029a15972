"""Several broker nodes in OPD_AMQP_URL: a connection moves to another node when its own goes.

Two local TCP proxies to the test broker stand for two nodes, so losing a node is closing a
proxy (the cluster itself is exercised by tests/faults/test_cluster_*.py)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from urllib.parse import urlsplit

import aio_pika
import pytest

from opd_shared.broker_nodes import connect, connect_robust, node_urls
from opd_shared.production import production_problems
from opd_shared.testing import NodeProxy, via_port


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_one_url_or_several_comma_separated_name_the_nodes():
    assert node_urls("amqp://a:b@h1:5672/") == ["amqp://a:b@h1:5672/"]
    assert node_urls(" amqp://h1/ , amqp://h2/,") == ["amqp://h1/", "amqp://h2/"]
    with pytest.raises(ValueError):
        node_urls(" , ")


def test_production_refuses_a_cluster_url_where_any_node_logs_in_as_guest():
    defaults = {"amqp_url": "amqp://guest:guest@127.0.0.1:5672/", "postgres_url": "x"}
    mixed = "amqp://opd:s3cret@rmq1:5672/,amqp://rmq2:5672/"
    safe = "amqp://opd:s3cret@rmq1:5672/,amqp://opd:s3cret@rmq2:5672/"
    assert any("guest" in p for p in production_problems(mixed, "pg", "k", defaults))
    assert not any("AMQP" in p for p in production_problems(safe, "pg", "k", defaults))


async def test_the_first_connection_skips_a_node_that_does_not_answer(infra):
    dead = via_port(infra.amqp_url, _closed_port())
    for order in ([dead, infra.amqp_url], [infra.amqp_url, dead]):
        robust = await connect_robust(",".join(order), timeout=3)
        plain = await connect(",".join(order), timeout=3)
        assert not robust.is_closed and not plain.is_closed
        await robust.close()
        await plain.close()


async def test_a_consumer_moves_to_the_other_node_when_its_node_goes(infra):
    host, port = urlsplit(infra.amqp_url).hostname, urlsplit(infra.amqp_url).port or 5672
    proxies = [NodeProxy((host, port)), NodeProxy((host, port))]
    ports = [await proxy.start() for proxy in proxies]
    connection = await connect_robust(",".join(via_port(infra.amqp_url, p) for p in ports))
    try:
        channel = await connection.channel()
        # Not exclusive: an exclusive queue goes with its connection, and a message published
        # between the reconnect and the queue's restore was dropped (a 60 s wait in CI).
        queue = await channel.declare_queue(f"t-broker-nodes-{uuid.uuid4().hex}")
        received: asyncio.Queue[bytes] = asyncio.Queue()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            received.put_nowait(message.body)

        await queue.consume(on_message, no_ack=True)
        first = ports.index(int(str(connection).rsplit(":", 1)[1].split("/")[0]))

        await proxies[first].close()  # the node this connection is on goes away
        loop = asyncio.get_running_loop()
        lost_at = loop.time()
        while not (connection.connected.is_set() and not channel.is_closed
                   and str(ports[1 - first]) in str(connection)):
            # Generous: a liveness bound, not a timing test (beside xdist workers a
            # reconnect and its consumer's restore took longer than 5 s).
            assert loop.time() - lost_at < 60, "still not reconnected to the other node"
            await asyncio.sleep(0.05)
        await channel.default_exchange.publish(aio_pika.Message(b"after"), queue.name)
        body = await asyncio.wait_for(received.get(), 60)
    finally:
        with contextlib.suppress(Exception):
            await channel.queue_delete(queue.name)
        await connection.close()
        with contextlib.suppress(Exception):
            await proxies[1 - first].close()

    assert body == b"after"
