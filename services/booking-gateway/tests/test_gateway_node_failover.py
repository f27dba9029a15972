"""A gateway whose broker node goes away queues the command on another node: no 503 while
the cluster still has a node to take it (tests/faults/test_cluster_nodes.py shows it on a
real cluster; here two proxies to the test broker stand for two nodes)."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlsplit

import httpx
from aio_pika.exceptions import DeliveryError

from booking_gateway.admission import Admission
from booking_gateway.bus import BrokerUnavailable, CommandBus
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import NodeProxy, serving, via_port


async def test_a_command_whose_node_went_away_is_queued_on_the_next_node(infra):
    broker = urlsplit(infra.amqp_url)
    proxies = [NodeProxy((broker.hostname, broker.port or 5672)) for _ in range(2)]
    ports = [await proxy.start() for proxy in proxies]
    nodes = ",".join(via_port(infra.amqp_url, port) for port in ports)
    gateway = create_gateway(infra.settings(GatewaySettings, infra.namespace("gwnodes"),
                                            amqp_url=nodes, reply_timeout_seconds=0.5))
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    try:
        async with serving(gateway) as started, httpx.AsyncClient(
                transport=httpx.ASGITransport(app=started.app), base_url="http://gw",
                headers=infra.admin_headers) as client:
            bus = gateway.state.runtime.bus
            on = next(n for n, port in enumerate(ports) if f":{port}/" in str(bus.connection))
            await proxies[on].close()  # the gateway's node goes away
            response = await client.post("/api/v1/slots", json={
                "doctor_id": 1, "date": tomorrow, "start_time": "09:00", "end_time": "10:00",
                "max_capacity": 5})
            now_on = str(bus.connection)
    finally:
        for proxy in proxies:
            await proxy.close()

    assert response.status_code == 202, response.text  # queued; no allocator runs here
    assert f":{ports[1 - on]}/" in now_on


async def test_a_fresh_channel_still_queues_commands_and_is_made_once_for_many(infra):
    gateway = create_gateway(infra.settings(GatewaySettings, infra.namespace("gwfresh"),
                                            reply_timeout_seconds=0.5))
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    async with serving(gateway) as started, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=started.app), base_url="http://gw",
            headers=infra.admin_headers) as client:
        bus = gateway.state.runtime.bus
        seen = bus._channel_generation
        await asyncio.gather(*(bus._fresh_channel(seen) for _ in range(5)))  # five nacks
        response = await client.post("/api/v1/slots", json={
            "doctor_id": 1, "date": tomorrow, "start_time": "09:00", "end_time": "10:00",
            "max_capacity": 5})

    assert bus._channel_generation == seen + 1
    assert response.status_code == 202, response.text


class _Up:
    """A connection and channel that stay up (the nacks come from queues, not from them)."""

    is_closed = False

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.connected.set()
        self.reopened = 0

    async def close(self) -> None:
        pass

    async def reopen(self) -> None:
        self.reopened += 1


async def test_a_command_nacked_while_a_node_shuts_down_is_tried_until_a_new_leader_takes_it():
    """While a node shuts down its queues nack until their new leaders are elected; one
    immediate retry was nacked too, and the booking got 503 with a quorum up."""
    topology = GatewaySettings(namespace="unit").topology
    bus = CommandBus("amqp://a:5672,amqp://b:5672", topology, Admission(10, 0.25))
    bus.connection = bus.channel = _Up()  # type: ignore[assignment]
    tries = []

    async def nacked_three_times(routing_key: str, envelopes: list) -> None:
        tries.append(routing_key)
        if len(tries) <= 3:
            raise BrokerUnavailable("nacked") from DeliveryError(None, None)

    bus._publish_once = nacked_three_times  # type: ignore[method-assign]

    await bus._publish("p0", [])

    assert len(tries) == 4
