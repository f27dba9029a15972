"""The allocator on contract version 2, on the real broker and database: a batch of one and
a batch of the most commands a message may carry are each decided and answered in one reply
message; a poison command inside a batch (one that fails, one that is not a command) fails
alone while its neighbours are decided once and answered; and a gateway restarted while a
batch's replies are in flight leaves its requests a 202 that a repeat turns into the one
decision."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator

import aio_pika
import httpx
from sqlalchemy import text

from allocator.main import create_app as create_allocator
from allocator.service_layer.handlers import HANDLERS
from allocator.settings import AllocatorSettings
from booking_gateway.main import create_app as create_gateway
from booking_gateway.settings import GatewaySettings
from opd_contracts import BookToken, CommandBatch, CommandEnvelope, ReplyBatch
from opd_contracts.batches import BATCH_ITEMS_MAX
from opd_shared.database import new_engine
from opd_shared.retries import ATTEMPT_LIMIT
from opd_shared.testing import serving

from .conftest import Api, running
from .test_allocator_poison import _dead_letter


def _booking(doctor: dict, slot: dict, patient: str) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=doctor["id"], slot_id=slot["id"], patient_name=patient,
                          source="online"))


class Asker:
    """Publishes command batches as a gateway does, with a reply queue of its own, and
    reads the reply messages that come back."""

    def __init__(self, settings: AllocatorSettings, channel: aio_pika.abc.AbstractChannel,
                 replies: aio_pika.abc.AbstractQueue) -> None:
        self.settings, self.channel, self.replies = settings, channel, replies
        self.messages: list[ReplyBatch] = []

    async def send(self, body: bytes, message_id: str, partition: int) -> None:
        exchange = await self.channel.get_exchange(self.settings.topology.commands_exchange)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, reply_to=self.replies.name),
            routing_key=self.settings.topology.routing_key(partition))

    async def batch(self, envelopes: list[CommandEnvelope]) -> None:
        partition = envelopes[0].command.partition(self.settings.partitions)
        await self.send(CommandBatch(commands=envelopes).model_dump_json().encode(),
                        str(envelopes[0].command_id), partition)

    async def answered(self, command_ids: set[uuid.UUID], seconds: float = 20) -> dict:
        """Read reply messages until every one of `command_ids` is answered; the replies."""
        found: dict[uuid.UUID, object] = {}
        async with asyncio.timeout(seconds):
            while not command_ids <= set(found):
                message = await self.replies.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.05)
                    continue
                assert message.correlation_id is None  # a v2 batch: items carry their ids
                batch = ReplyBatch.model_validate_json(message.body)
                self.messages.append(batch)
                found.update((reply.command_id, reply) for reply in batch.replies)
        return found


@contextlib.asynccontextmanager
async def asking(settings: AllocatorSettings) -> AsyncIterator[Asker]:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        replies = await channel.declare_queue(exclusive=True)
        yield Asker(settings, channel, replies)


async def _tokens_in(settings: AllocatorSettings, slot_id: int) -> int:
    engine = new_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(
                text("SELECT count(*) FROM tokens WHERE slot_id = :slot"), {"slot": slot_id}))
    finally:
        await engine.dispose()


async def test_a_batch_of_one_and_a_batch_of_the_most_commands_are_each_answered_in_one_message(
        api, gateway):
    settings = gateway.allocator_settings
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=BATCH_ITEMS_MAX + 1)

    async with asking(settings) as asker:
        for size in (1, BATCH_ITEMS_MAX):
            asker.messages.clear()
            envelopes = [_booking(doctor, slot, f"Batch {size} {n}") for n in range(size)]
            await asker.batch(envelopes)
            replies = await asker.answered({e.command_id for e in envelopes})

            assert len(asker.messages) == 1, size  # one delivery, one round, one reply message
            assert all(reply.ok for reply in replies.values())
            numbers = {reply.result["token_number"] for reply in replies.values()}
            assert len(numbers) == size

    assert await _tokens_in(settings, slot["id"]) == 1 + BATCH_ITEMS_MAX


async def test_a_message_of_more_commands_than_a_batch_may_carry_is_parked_whole(api, gateway):
    settings = gateway.allocator_settings
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    envelopes = [_booking(doctor, slot, f"Too many {n}") for n in range(BATCH_ITEMS_MAX + 1)]
    body = json.dumps({"version": 2, "commands": [
        json.loads(e.model_dump_json()) for e in envelopes]}).encode()

    async with asking(settings) as asker:
        await asker.send(body, "too-many", envelopes[0].command.partition(settings.partitions))
        dead = await _dead_letter(settings, "too-many")

    assert dead.headers["x-opd-reason"].startswith("undecodable command: ValidationError")
    assert "at most 100 items" in dead.headers["x-opd-reason"]
    assert await _tokens_in(settings, slot["id"]) == 0


async def test_a_command_that_is_not_one_inside_a_batch_is_parked_and_its_neighbours_decided(
        api, gateway):
    settings = gateway.allocator_settings
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    first, last = _booking(doctor, slot, "Before"), _booking(doctor, slot, "After")
    body = json.dumps({"version": 2, "commands": [
        json.loads(first.model_dump_json()), {"command_id": "not a uuid", "command": {}},
        json.loads(last.model_dump_json())]}).encode()

    async with asking(settings) as asker:
        await asker.send(body, str(first.command_id), first.command.partition(settings.partitions))
        replies = await asker.answered({first.command_id, last.command_id})
        dead = await _dead_letter(settings, str(first.command_id))

    assert all(reply.ok for reply in replies.values())
    assert dead.headers["x-opd-reason"].startswith(
        "item 2 of 3: undecodable command: ValidationError")
    assert await _tokens_in(settings, slot["id"]) == 2


async def test_a_command_that_keeps_failing_inside_a_batch_fails_alone_its_neighbours_once(
        infra):
    decided: list[str] = []

    async def flaky(uow, cmd, now):
        decided.append(cmd.patient_name)
        if cmd.patient_name == "Poison Patient":
            raise RuntimeError(f"cannot book {cmd.patient_name}")
        return await HANDLERS[BookToken](uow, cmd, now)

    async with running(infra, handlers={**HANDLERS, BookToken: flaky}) as gateway:
        settings, api = gateway.allocator_settings, Api(gateway)
        doctor = await api.doctor()
        slot = await api.slot(doctor["id"], capacity=5)
        batch = [_booking(doctor, slot, name)
                 for name in ("Neighbour Before", "Poison Patient", "Neighbour After")]

        async with asking(settings) as asker:
            await asker.batch(batch)
            replies = await asker.answered({batch[0].command_id, batch[2].command_id})
            dead = await _dead_letter(settings, str(batch[0].command_id))

        assert all(reply.ok for reply in replies.values())
        assert batch[1].command_id not in replies  # its client gets a 202, never a guess
        assert dead.headers["x-opd-reason"] == f"failed {ATTEMPT_LIMIT} times; last: RuntimeError"
        assert decided.count("Poison Patient") == ATTEMPT_LIMIT
        # The round set the poison aside and decided its neighbours without it (the first
        # neighbour's first try was rolled back with the poison's). The message's first
        # retry found the doctor's schedule cached and so did not read first (a round
        # unread, allocator/adapters/unit_of_work.py): it decided the first neighbour again
        # before the poison failed it, the write never sent; that failure dropped the
        # cached schedule, so each later retry read, found the neighbours in the inbox and
        # tried the poison alone.
        assert decided == ["Neighbour Before", "Poison Patient", "Neighbour Before",
                           "Neighbour After", "Neighbour Before"] + ["Poison Patient"] * (
                               ATTEMPT_LIMIT - 1)
        assert await _tokens_in(settings, slot["id"]) == 2
        assert (await api.book(slot)).status_code == 201  # the partition still flows


async def test_a_gateway_restarted_while_a_batch_reply_is_in_flight_leaves_a_202_a_repeat_answers(
        infra):
    entered, released = asyncio.Event(), asyncio.Event()

    async def held_back(uow, cmd, now):
        entered.set()
        await released.wait()  # the round's first booking holds the round
        return await HANDLERS[BookToken](uow, cmd, now)

    namespace = infra.namespace("v2gw")
    # A wide window: the three requests' messages join one batch, so one round, one reply.
    settings = infra.settings(AllocatorSettings, namespace, batch_window_seconds=0.3)
    gateway_settings = infra.settings(GatewaySettings, namespace, reply_timeout_seconds=2)
    async with serving(create_allocator(settings, {**HANDLERS, BookToken: held_back})):
        first = serving(create_gateway(gateway_settings))
        started = await first.__aenter__()
        async with _client(started.app, infra.admin_headers) as client:
            api = Api(client)
            doctor = await api.doctor()
            slot = await api.slot(doctor["id"], capacity=5)
            keys = [f"restart-{uuid.uuid4().hex}" for _ in range(3)]
            asked = [asyncio.create_task(_book(client, slot, key, n))
                     for n, key in enumerate(keys)]
            await asyncio.wait_for(entered.wait(), 10)
            await first.__aexit__(None, None, None)  # the gateway stops; its reply queue goes
            released.set()  # the round commits; its reply batch goes to a queue that is gone
            pending = await asyncio.gather(*asked)

        async with serving(create_gateway(gateway_settings)) as second, _client(
                second.app, infra.admin_headers) as client:
            repeated = [await _book(client, slot, key, n) for n, key in enumerate(keys)]
            again = [await _book(client, slot, key, n) for n, key in enumerate(keys)]

    assert [r.status_code for r in pending] == [202] * 3
    assert [r.headers["Idempotency-Key"] for r in pending] == keys
    assert [r.status_code for r in repeated] == [201] * 3
    assert [r.json()["id"] for r in again] == [r.json()["id"] for r in repeated]
    assert await _tokens_in(settings, slot["id"]) == 3


def _client(app, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway",
                             headers=headers)


async def _book(client: httpx.AsyncClient, slot: dict, key: str, n: int) -> httpx.Response:
    return await client.post("/api/v1/tokens", headers={"Idempotency-Key": key}, json={
        "patient_name": f"Restart {n}", "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
        "source": "online"})
