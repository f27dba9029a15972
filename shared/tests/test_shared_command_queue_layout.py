"""`Topology.check_command_queues` on the real broker: another layout's command queues refuse
even empty, and pass once deleted; one with a consumer, or a queue of no layout at all,
refuses too, and nothing is deleted by the check. (The services' refusal over a layout
holding a command: tests/integration/test_command_queue_layout.py.)"""

from __future__ import annotations

import asyncio

import aio_pika
import pytest

from opd_shared.topology import CommandQueuesDisagree, Topology

PARTITIONS = 4


async def _messages(connection: aio_pika.abc.AbstractConnection, name: str) -> int:
    queue = await (await connection.channel()).declare_queue(name, passive=True)
    return queue.declaration_result.message_count


async def _ack(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    await message.ack()


async def test_an_empty_layout_refuses_until_deleted_as_the_procedure_says(infra):
    """One queue carried every partition; declared beside it, two queues would have put
    partition 1's commands in both (the old queue's binding stays), so even an empty old
    queue refuses, with the commands that delete it."""
    namespace = infra.namespace("layout")
    old, new = Topology(namespace, PARTITIONS, 1), Topology(namespace, PARTITIONS, 2)
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await old.declare_commands(channel)
        with pytest.raises(CommandQueuesDisagree) as refused:
            await new.check_command_queues(infra.amqp_url)
        assert f"{old.partition_queue(0)} (0 messages, 0 consumers)" in str(refused.value)
        assert f"rabbitmqctl delete_queue {old.partition_queue(0)}" in str(refused.value)
        await channel.queue_delete(old.partition_queue(0))  # the procedure's step 3
        await new.check_command_queues(infra.amqp_url)
        exchange = await new.declare_commands(channel)
        await exchange.publish(aio_pika.Message(b"a command"), new.routing_key(1),
                               mandatory=True)
        assert await _messages(connection, new.partition_queue(1)) == 1
        assert await _messages(connection, new.partition_queue(0)) == 0
        await new.check_command_queues(infra.amqp_url)  # its own layout, holding a command


async def test_another_layout_being_consumed_refuses(infra):
    """Empty, but an allocator of the old layout still consumes it: still running."""
    namespace = infra.namespace("layout")
    old, new = Topology(namespace, PARTITIONS, 4), Topology(namespace, PARTITIONS, 2)
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await old.declare_commands(channel)
        queue = await channel.get_queue(old.partition_queue(3))
        await queue.consume(_ack)
        with pytest.raises(CommandQueuesDisagree, match=r"alloc\.p03 \(0 messages, 1 consumers"):
            await new.check_command_queues(infra.amqp_url)
        assert await _messages(connection, old.partition_queue(2)) == 0  # none deleted


async def test_a_queue_of_no_layout_holding_a_command_refuses(infra):
    """What a half-done deletion by hand leaves: the last queue of four."""
    namespace = infra.namespace("layout")
    old, new = Topology(namespace, PARTITIONS, 4), Topology(namespace, PARTITIONS, 2)
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await old.declare_commands(channel)
        for number in range(3):
            await channel.queue_delete(old.partition_queue(number))
        await exchange.publish(aio_pika.Message(b"a command"), old.routing_key(3))
        with pytest.raises(CommandQueuesDisagree, match="of no complete layout"):
            await new.check_command_queues(infra.amqp_url)


async def test_the_check_holds_up_at_sixteen_partitions_time_after_time(infra):
    """The production partitions: sixteen probes at once, most of them closed by the broker
    (no such queue), again and again, as restarts do; and the layout of two named to a
    service configured for four."""
    namespace = infra.namespace("layout")
    mine = Topology(namespace, 16, 2)
    for _ in range(5):
        await mine.check_command_queues(infra.amqp_url)  # a fresh broker
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        await mine.declare_commands(await connection.channel())
    for _ in range(5):
        await mine.check_command_queues(infra.amqp_url)  # its own layout
    with pytest.raises(CommandQueuesDisagree, match="as OPD_COMMAND_QUEUES=2 laid them out"):
        await Topology(namespace, 16, 4).check_command_queues(infra.amqp_url)


async def test_a_layout_another_service_is_declaring_is_waited_for_not_refused(infra):
    """The allocator and the gateway start together: one may look while the other has
    declared only the first of their queues. Some of this layout's queues and none other
    are looked at again, and pass once the other has declared the rest; an older layout of
    fewer queues is such a subset too, and still refuses once the wait is over."""
    namespace = infra.namespace("layout")
    mine = Topology(namespace, PARTITIONS, 2)
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(mine.partition_queue(0), durable=True,
                                    arguments=mine.command_queue_arguments())
        looking = asyncio.create_task(mine.check_command_queues(infra.amqp_url))
        await asyncio.sleep(0.3)  # the other service, slow, declares the rest
        assert not looking.done()
        await mine.declare_commands(channel)
        await asyncio.wait_for(looking, 2.0)  # passes: no CommandQueuesDisagree

        with pytest.raises(CommandQueuesDisagree, match="as OPD_COMMAND_QUEUES=2 laid them"):
            await Topology(namespace, PARTITIONS, 4).check_command_queues(infra.amqp_url,
                                                                           declaring_s=0.3)
