"""A command delivered twice (same message id) is decided once and answered alike."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aio_pika
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from allocator.settings import AllocatorSettings
from opd_contracts import BookToken, CommandEnvelope, Reply


async def _publish_twice(settings: AllocatorSettings, envelope: CommandEnvelope) -> list[Reply]:
    topology = settings.topology
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        replies = await channel.declare_queue(exclusive=True)
        exchange = await channel.get_exchange(topology.commands_exchange)
        key = topology.routing_key(envelope.command.partition(topology.partitions))
        for _ in range(2):
            await exchange.publish(aio_pika.Message(
                envelope.model_dump_json().encode(), message_id=str(envelope.command_id),
                correlation_id=str(envelope.command_id), reply_to=replies.name,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=key)
        received: list[Reply] = []
        async with replies.iterator() as messages:
            async for message in messages:
                received.append(Reply.model_validate_json(message.body))
                if len(received) == 2:
                    break
        return received


async def test_the_same_command_published_twice_books_one_token(infra, gateway, api):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    settings = gateway.allocator_settings
    envelope = CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=doctor["id"], slot_id=slot["id"], patient_name="Twice",
                          source="online"))

    first, second = await asyncio.wait_for(_publish_twice(settings, envelope), 20)

    assert first == second and first.ok
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM tokens WHERE slot_id = :s"),
                                  {"s": slot["id"]})
        current = await conn.scalar(text("SELECT current_count FROM slots WHERE id = :s"),
                                    {"s": slot["id"]})
    await engine.dispose()
    assert (count, current) == (1, 1)
