"""What a dead letter's reason may say, and the broker's own delivery limit, which stays the
backstop for a consumer that dies holding a message (the product's count never sees those)."""

from __future__ import annotations

import uuid

import aio_pika
import pytest
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from opd_shared.retries import reason_for
from opd_shared.settings import ServiceSettings
from opd_shared.topology import DELIVERY_LIMIT

CONSUMER = "backstop"


class Patient(BaseModel):
    name: str = Field(max_length=5)


def test_a_validation_reason_names_the_field_and_the_rule_but_not_the_value():
    with pytest.raises(ValidationError) as refused:
        Patient.model_validate({"name": "Asha Rao"})

    reason = reason_for(refused.value)

    assert reason == ("ValidationError: 1 errors; first at name: "
                      "String should have at most 5 characters")


async def test_a_database_reason_gives_the_sqlstate_but_not_the_value(infra):
    engine = create_async_engine(f"{infra.postgres_url.rstrip('/')}/postgres")
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as refused:
                await connection.execute(text("SELECT 'Asha Rao'::int"))
    finally:
        await engine.dispose()

    assert "Asha" in str(refused.value)  # what the database said quotes the value...
    assert reason_for(refused.value) == "DBAPIError (SQLSTATE 22P02)"  # ...the reason does not


def test_any_other_reason_is_the_class_alone():
    assert reason_for(RuntimeError("cannot book Asha Rao")) == "RuntimeError"


async def _taken_until_parked(connection, queue_name: str) -> int:
    """Take the queue's message and drop it with a dying channel, until it is gone."""
    deliveries = 0
    for _ in range(DELIVERY_LIMIT + 2):
        dying = await connection.channel()
        queue = await dying.get_queue(queue_name)
        if await queue.get(fail=False) is None:
            break
        deliveries += 1
        await dying.close()
    return deliveries


async def test_a_message_whose_consumer_keeps_dying_is_dead_lettered_by_the_broker(infra):
    topology = infra.settings(ServiceSettings, infra.namespace("backstop")).topology
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await topology.declare_consumer(channel, CONSUMER)
        exchange = await topology.declare_events(channel)
        message_id = uuid.uuid4().hex
        await exchange.publish(aio_pika.Message(b"{}", message_id=message_id), "slot.opened")
        try:
            deliveries = await _taken_until_parked(connection, topology.consumer_queue(CONSUMER))
            dead = await (await channel.get_queue(topology.dead_letter_queue)).get(no_ack=True)
        finally:  # not one of the product's queues: the session's sweep does not know it
            await channel.queue_delete(topology.consumer_queue(CONSUMER))

    assert dead.message_id == message_id
    assert dead.headers["x-first-death-reason"] == "delivery_limit"
    assert deliveries == DELIVERY_LIMIT + 1  # 3.10: dead-lettered once returned past the limit
