"""Each request waits for its reply on a future of its own (booking_gateway.bus): a request
that goes away, or whose wait ends, leaves a repeat of the same command waiting for the same
reply; and a command message leaves with the properties aio-pika's Message gave it.
(Pure logic over the bus without a broker; on the broker: test_gateway_shedding.py and
tests/integration.)"""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import aio_pika
from pamqp.header import ContentHeader

from booking_gateway.admission import Admission
from booking_gateway.bus import CommandBus, command_properties
from booking_gateway.settings import GatewaySettings
from opd_contracts import CommandEnvelope, Reply, ReplyBatch

from .conftest import booking_envelope


def _bus() -> CommandBus:
    bus = CommandBus("amqp://a:5672", GatewaySettings(namespace="unit").topology,
                     Admission(10, 1.0))

    async def queued(envelope: CommandEnvelope) -> None:  # as if the broker confirmed it
        pass

    bus._queue = queued  # type: ignore[method-assign]
    return bus


async def _reply_to(bus: CommandBus, envelope: CommandEnvelope) -> Reply:
    reply = Reply(command_id=envelope.command_id, ok=True, result={"id": 1})
    body = ReplyBatch(replies=[reply]).model_dump_json().encode()
    await bus._on_reply(SimpleNamespace(correlation_id=None, body=body))  # type: ignore[arg-type]
    return reply


async def _waiting(bus: CommandBus, count: int) -> None:
    async with asyncio.timeout(1):
        while bus.admission.in_flight < count:  # noqa: ASYNC110 - a counter
            await asyncio.sleep(0)
    await asyncio.sleep(0)  # and past `_queue`, each waiting for its reply


async def test_a_repeat_still_gets_the_reply_that_comes_after_the_first_wait_ended():
    bus, envelope = _bus(), booking_envelope()
    first = asyncio.create_task(bus.send(envelope, 0.05))
    repeat = asyncio.create_task(bus.send(envelope, 5))
    await _waiting(bus, 2)

    assert await first is None  # its wait is over: 202
    reply = await _reply_to(bus, envelope)

    assert await asyncio.wait_for(repeat, 1) == reply
    assert bus.waiting == {}


async def test_a_request_that_goes_away_leaves_its_repeat_waiting():
    bus, envelope = _bus(), booking_envelope()
    gone = asyncio.create_task(bus.send(envelope, 5))
    repeat = asyncio.create_task(bus.send(envelope, 5))
    await _waiting(bus, 2)

    gone.cancel()
    await asyncio.sleep(0)
    reply = await _reply_to(bus, envelope)

    assert await asyncio.wait_for(repeat, 1) == reply
    assert gone.cancelled()
    assert bus.waiting == {}
    assert bus.admission.in_flight == 0


async def test_a_reply_that_never_comes_is_none_once_the_wait_is_over():
    bus, envelope = _bus(), booking_envelope()

    assert await asyncio.wait_for(bus.send(envelope, 0.05), 1) is None
    assert bus.waiting == {}


def test_a_command_message_has_the_properties_aio_pikas_message_gave_it():
    for headers in (None, {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}):
        made = command_properties("id-1", "replies-1", headers)
        message = aio_pika.Message(b"{}", content_type="application/json", message_id="id-1",
                                   reply_to="replies-1",
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                   headers=headers)

        assert ContentHeader(0, 2, made).marshal() == \
            ContentHeader(0, 2, message.properties).marshal()


async def test_a_version_1_reply_finds_its_request_by_its_correlation_id():
    bus, envelope = _bus(), booking_envelope()
    waiting = asyncio.create_task(bus.send(envelope, 5))
    await _waiting(bus, 1)
    reply = Reply(command_id=envelope.command_id, ok=True, result={"id": 1})

    await bus._on_reply(SimpleNamespace(  # type: ignore[arg-type]
        correlation_id=str(envelope.command_id), body=reply.model_dump_json().encode()))

    assert await asyncio.wait_for(waiting, 1) == reply
    assert bus.waiting == {}


async def test_a_version_1_reply_whose_correlation_id_is_no_command_id_wakes_nothing():
    bus, envelope = _bus(), booking_envelope()
    waiting = asyncio.create_task(bus.send(envelope, 0.2))
    await _waiting(bus, 1)
    reply = Reply(command_id=envelope.command_id, ok=True, result={"id": 1})

    for stray in ("not-a-command-id", str(uuid.uuid4())):
        await bus._on_reply(SimpleNamespace(  # type: ignore[arg-type]
            correlation_id=stray, body=reply.model_dump_json().encode()))

    assert await asyncio.wait_for(waiting, 1) is None  # its wait ended without a reply
    assert bus.waiting == {}
