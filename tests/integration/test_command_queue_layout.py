"""`OPD_COMMAND_QUEUES` against the command queues the broker already holds: a gateway or an
allocator started with another layout than the queues' refuses to start while an old queue
holds a command (it would wait there undecided), and starts as before on a fresh broker and
on its own layout (`Topology.check_command_queues`; docs/OPERATIONS.md)."""

from __future__ import annotations

import aio_pika
import pytest

from allocator.main import create_app as create_allocator
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_shared.testing import serving
from opd_shared.topology import CommandQueuesDisagree, Topology


def _suite(infra, namespace: str) -> Topology:
    """The layout the suite's services make (four partitions in two queues)."""
    return infra.settings(AllocatorSettings, namespace).topology


async def _old_layout_holding_a_command(infra, namespace: str, queues: int) -> str:
    """The command queues `queues` made, one command waiting in the last one; its name."""
    partitions = _suite(infra, namespace).partitions
    old = Topology(namespace, partitions, queues)
    last = partitions - 1  # carried by the old layout's last queue when `queues` > 1
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await old.declare_commands(channel)
        # The check reads no body: an opaque message stands for a command.
        await exchange.publish(aio_pika.Message(b"a command"), old.routing_key(last))
    return old.partition_queue(last)


def _app(infra, namespace: str, service: str):
    if service == "allocator":
        return create_allocator(infra.settings(AllocatorSettings, namespace))
    return create_gateway(infra.settings(GatewaySettings, namespace))


@pytest.mark.parametrize("service", ["allocator", "gateway"])
@pytest.mark.parametrize("old_queues", [1, 4])
async def test_refuses_to_start_over_another_layout_holding_a_command(infra, service,
                                                                      old_queues):
    namespace = infra.namespace("layout")
    suite = _suite(infra, namespace)
    assert old_queues != suite.command_queues and old_queues <= suite.partitions
    holding = await _old_layout_holding_a_command(infra, namespace, old_queues)
    with pytest.raises(CommandQueuesDisagree) as refused:
        async with serving(_app(infra, namespace, service)):
            pass
    message = str(refused.value)
    assert f"OPD_COMMAND_QUEUES={suite.command_queues} " in message
    assert f"{holding} (1 messages, 0 consumers)" in message
    assert f"as OPD_COMMAND_QUEUES={old_queues} laid them out" in message
    assert "docs/OPERATIONS.md" in message
    # nothing was declared over the old layout, nor deleted: the command is still there
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        queue = await (await connection.channel()).declare_queue(holding, passive=True)
        assert queue.declaration_result.message_count == 1


@pytest.mark.parametrize("service", ["allocator", "gateway"])
async def test_starts_on_a_fresh_broker_and_again_on_its_own_layout(infra, service):
    namespace = infra.namespace("layout")
    for _ in ("fresh", "its own layout"):
        async with serving(_app(infra, namespace, service)):
            pass


async def test_starts_on_its_own_layout_holding_commands_and_consumed(infra):
    """A restart beside a running allocator, commands waiting: the usual rolling update."""
    namespace = infra.namespace("layout")
    await _old_layout_holding_a_command(infra, namespace, _suite(infra, namespace).queues)
    async with serving(_app(infra, namespace, "allocator")), \
            serving(_app(infra, namespace, "gateway")), \
            serving(_app(infra, namespace, "allocator")):
        pass
