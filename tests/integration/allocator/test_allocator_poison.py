"""A command the allocator cannot decide goes to the dead-letter queue with its reason (never
its content), after exactly `ATTEMPT_LIMIT` tries counted by OPD itself, and the partition
keeps flowing meanwhile."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aio_pika
import pytest

from allocator.entrypoints.consumer import CommandQueueConsumer
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, CommandEnvelope
from opd_shared.retries import ATTEMPT_HEADER, ATTEMPT_LIMIT

from .conftest import Api, running


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


def _booking(doctor: dict, slot: dict, patient: str) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=doctor["id"], slot_id=slot["id"], patient_name=patient,
                          source="online"))


async def _send(settings, envelope: CommandEnvelope) -> None:
    await _publish(settings, envelope.model_dump_json().encode(), str(envelope.command_id),
                   partition=envelope.command.partition(settings.partitions))


@pytest.mark.parametrize("body", [
    b"\xff\xfe not json", b'{"version": 1, "command": {}}',
    b'{"command": {"type": "book_token", "doctor_id": -5}}',
    b'{"command": {"type": "book_token", "doctor_id": 1, "slot_id": 1, "source": "online",'
    b' "patient_name": "Asha Rao\\u0007"}}'])  # a name refused: it must not be quoted back
async def test_an_undecodable_command_is_dead_lettered_at_once_with_its_reason(api, gateway,
                                                                               body):
    settings = gateway.allocator_settings
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    message_id = uuid.uuid4().hex

    await _publish(settings, body, message_id, partition=slot["id"] % settings.partitions)

    dead = await _dead_letter(settings, message_id)
    assert dead.headers["x-opd-reason"].startswith("undecodable command: ValidationError")
    assert "Asha" not in dead.headers["x-opd-reason"]  # the body is not quoted back
    assert dead.headers["x-opd-queue"] == settings.topology.partition_queue(
        slot["id"] % settings.partitions)
    assert (await api.book(slot)).status_code == 201  # the partition still flows


async def test_a_command_that_keeps_failing_is_tried_exactly_the_limit_and_blocks_nothing(
        infra, monkeypatch):
    decided: list[str] = []
    entered, released = asyncio.Event(), asyncio.Event()

    async def flaky(uow, cmd, now):
        decided.append(cmd.patient_name)
        if cmd.patient_name != "Poison Patient":
            return await HANDLERS[BookToken](uow, cmd, now)
        entered.set()
        await released.wait()  # the first try waits until the others are queued behind it
        raise RuntimeError(f"cannot book {cmd.patient_name}")

    async with running(infra, handlers={**HANDLERS, BookToken: flaky}) as gateway:
        settings, api = gateway.allocator_settings, Api(gateway)
        doctor = await api.doctor()
        slot = await api.slot(doctor["id"], capacity=5)
        poison = _booking(doctor, slot, "Poison Patient")
        others = [_booking(doctor, slot, f"Patient After {n}") for n in range(3)]
        seen: list[tuple[object, bool]] = []
        handle = CommandQueueConsumer._handle

        async def watched(consumer, batch):
            seen.extend(((m.headers or {}).get(ATTEMPT_HEADER), m.redelivered) for m in batch
                        if m.message_id == str(poison.command_id))
            await handle(consumer, batch)

        monkeypatch.setattr(CommandQueueConsumer, "_handle", watched)

        await _send(settings, poison)
        await asyncio.wait_for(entered.wait(), 10)
        for envelope in others:
            await _send(settings, envelope)
        released.set()
        dead = await _dead_letter(settings, str(poison.command_id))

        # Each try is a fresh copy carrying our count, never a broker redelivery: nothing
        # depends on how a RabbitMQ version counts nacks.
        assert seen == [(None, False), (2, False), (3, False), (4, False), (5, False)]
        assert decided.count("Poison Patient") == ATTEMPT_LIMIT
        second_try = decided.index("Poison Patient", 1)
        assert sorted(decided[1:second_try]) == sorted(e.command.patient_name for e in others)
        assert dead.headers["x-opd-reason"] == f"failed {ATTEMPT_LIMIT} times; last: RuntimeError"
        assert dead.headers[ATTEMPT_HEADER] == ATTEMPT_LIMIT
        assert "x-death" not in dead.headers  # parked by the allocator, not the broker's limit
        assert (await api.book(slot)).status_code == 201
