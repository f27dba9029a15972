"""A command the allocator cannot decide goes to the dead-letter queue with its reason, after a
bounded number of tries, and the partition keeps flowing."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aio_pika
import pytest

from allocator.service_layer import handlers
from opd_shared.contracts import BookToken, CommandEnvelope
from opd_shared.topology import DELIVERY_LIMIT


async def _publish(settings, body: bytes, message_id: str, partition: int) -> None:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(settings.topology.commands_exchange)
        await exchange.publish(aio_pika.Message(body, message_id=message_id),
                               routing_key=settings.topology.routing_key(partition))


async def _dead_letter(settings, message_id: str, seconds: float = 30) -> aio_pika.IncomingMessage:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(settings.topology.dead_letter_queue)
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            message = await queue.get(fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            await message.ack()
            if message.message_id == message_id:
                return message
    raise AssertionError(f"{message_id} never reached the dead-letter queue")


@pytest.mark.parametrize("body", [b"\xff\xfe not json", b'{"version": 1, "command": {}}',
                                  b'{"command": {"type": "book_token", "doctor_id": -5}}'])
async def test_an_undecodable_command_is_dead_lettered_at_once_with_its_reason(api, gateway,
                                                                               body):
    settings = gateway.allocator_settings
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    message_id = uuid.uuid4().hex

    await _publish(settings, body, message_id, partition=slot["id"] % settings.partitions)

    dead = await _dead_letter(settings, message_id)
    assert "undecodable command" in dead.headers["x-opd-reason"]
    assert dead.headers["x-opd-queue"].endswith(settings.topology.routing_key(
        slot["id"] % settings.partitions))
    assert (await api.book(slot)).status_code == 201  # the partition still flows


async def test_a_command_that_keeps_failing_is_dead_lettered_after_the_delivery_limit(
        api, gateway, monkeypatch):
    settings = gateway.allocator_settings
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    tries = []
    real = handlers.HANDLERS[BookToken]

    async def flaky(uow, cmd, now):
        if cmd.patient_name == "Poison":
            tries.append(now)
            raise RuntimeError("impossible content")
        return await real(uow, cmd, now)

    monkeypatch.setitem(handlers.HANDLERS, BookToken, flaky)
    envelope = CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=doctor["id"], slot_id=slot["id"], patient_name="Poison",
                          source="online"))

    await _publish(settings, envelope.model_dump_json().encode(), str(envelope.command_id),
                   partition=envelope.command.partition(settings.partitions))

    dead = await _dead_letter(settings, str(envelope.command_id))
    assert len(tries) == DELIVERY_LIMIT
    assert "impossible content" in dead.headers["x-opd-reason"]
    assert (await api.book(slot)).status_code == 201

