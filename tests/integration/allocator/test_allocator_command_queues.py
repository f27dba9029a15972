"""Fewer command queues than partitions (`OPD_COMMAND_QUEUES`): a queue carries several
partitions' commands in one message, yet every partition is still decided as its own, by
its own claim, and its ids stay its own."""

from __future__ import annotations

import asyncio

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from allocator.adapters.ownership import claim
from allocator.settings import AllocatorSettings
from opd_contracts import CommandBatch
from opd_contracts.topology import partition_of_doctor, partition_of_record
from opd_shared.database import new_engine
from opd_shared.retries import REASON_HEADER

from .conftest import Api, running
from .test_allocator_contract_v2 import asking
from .test_allocator_poison import _booking, _dead_letter, _publish

QUEUES = 2  # of the tests' four partitions: queue 0 carries 0 and 2, queue 1 carries 1 and 3


@pytest.fixture(scope="module")
async def shared_queues(infra):
    async with running(infra) as client:
        assert client.allocator_settings.topology.command_queues == QUEUES  # the suite's
        yield client


async def _doctors_on_every_partition(api: Api, partitions: int) -> dict[int, dict]:
    found: dict[int, dict] = {}
    while len(found) < partitions:
        doctor = await api.doctor()
        found.setdefault(partition_of_doctor(doctor["id"], partitions), doctor)
    return found


async def test_only_the_command_queues_are_declared(shared_queues):
    topology = shared_queues.allocator_settings.topology
    connection = await aio_pika.connect(shared_queues.allocator_settings.amqp_url)
    async with connection:
        for queue in range(QUEUES):
            await (await connection.channel()).declare_queue(
                topology.partition_queue(queue), passive=True)
        with pytest.raises(ChannelNotFoundEntity):
            await (await connection.channel()).declare_queue(
                f"{topology.prefix}.alloc.{topology.routing_key(QUEUES)}", passive=True)


async def test_every_partition_is_decided_as_its_own_through_a_shared_queue(shared_queues):
    api = Api(shared_queues)
    partitions = shared_queues.allocator_settings.partitions
    doctors = await _doctors_on_every_partition(api, partitions)
    for partition, doctor in doctors.items():
        slot = await api.slot(doctor["id"])
        booked = await api.book(slot)
        assert booked.status_code == 201, booked.text
        token = booked.json()
        # the partition's own ids: its single writer issued them, not the queue's first
        assert partition_of_record(slot["id"], partitions) == partition
        assert partition_of_record(token["id"], partitions) == partition


async def test_the_shipped_layout_one_queue_one_lane_decides_every_partition_as_its_own(
        infra):
    """The defaults a machine of its own runs (`OPD_COMMAND_QUEUES` 1, `OPD_COMMIT_LANES`
    1; the suite runs two of each): every partition's commands share one queue and one
    transaction at a time, yet each is decided by its own claim, with its own ids."""
    defaults = AllocatorSettings.model_fields
    async with running(infra, command_queues=defaults["command_queues"].default,
                       commit_lanes=defaults["commit_lanes"].default) as client:
        settings = client.allocator_settings
        assert (settings.command_queues, settings.commit_lanes) == (1, 1)
        api = Api(client)
        doctors = await _doctors_on_every_partition(api, settings.partitions)
        for partition, doctor in doctors.items():
            slot = await api.slot(doctor["id"], capacity=2)
            booked = [await api.book(slot) for _ in range(3)]
            assert [b.status_code for b in booked] == [201, 201, 409]
            assert partition_of_record(booked[0].json()["id"], settings.partitions) == partition
            assert partition_of_record(booked[1].json()["id"], settings.partitions) == partition


async def test_one_message_of_two_partitions_is_decided_whole(shared_queues):
    """Commands of partitions 0 and 2 in one message to queue 0, as a gateway sends them:
    both decided, in one reply message."""
    api = Api(shared_queues)
    settings = shared_queues.allocator_settings
    doctors = await _doctors_on_every_partition(api, settings.partitions)
    envelopes = [_booking(doctors[p], await api.slot(doctors[p]["id"]), f"Shared {p}")
                 for p in (0, 2)]
    async with asking(settings) as asker:
        await asker.batch(envelopes)
        replies = await asker.answered({e.command_id for e in envelopes})

    assert len(asker.messages) == 1
    for envelope in envelopes:
        reply = replies[envelope.command_id]
        assert reply.ok, reply
        assert reply.result["patient_name"] == envelope.command.patient_name
        assert partition_of_record(reply.result["id"], settings.partitions) == \
            envelope.command.partition(settings.partitions)


async def test_a_command_its_queue_does_not_carry_is_parked_with_the_reason(shared_queues):
    """Partition 1 belongs to queue 1: on queue 0 it is a deployment's misconfiguration,
    which no retry mends, so it is parked at once and says why."""
    api = Api(shared_queues)
    settings = shared_queues.allocator_settings
    doctors = await _doctors_on_every_partition(api, settings.partitions)
    envelope = _booking(doctors[1], await api.slot(doctors[1]["id"]), "Misrouted")
    await _publish(settings, CommandBatch(commands=[envelope]).model_dump_json().encode(),
                   "misrouted", partition=0)  # the key of queue 0's own partition
    parked = await _dead_letter(settings, "misrouted")
    assert "a command of partition 1 on queue 0" in parked.headers[REASON_HEADER]


async def test_a_command_sent_by_its_partitions_own_key_reaches_the_queue_that_carries_it(
        shared_queues):
    """As a gateway of one queue per partition sends it, during a change of the setting:
    partition 2's key is bound to queue 0."""
    api = Api(shared_queues)
    settings = shared_queues.allocator_settings
    doctors = await _doctors_on_every_partition(api, settings.partitions)
    envelope = _booking(doctors[2], await api.slot(doctors[2]["id"]), "By its own key")
    async with asking(settings) as asker:
        await asker.send(CommandBatch(commands=[envelope]).model_dump_json().encode(),
                         str(envelope.command_id), partition=2)
        replies = await asker.answered({envelope.command_id})
    assert replies[envelope.command_id].ok


async def test_a_queue_with_a_partition_claimed_elsewhere_is_handed_back_and_claimed_whole(
        shared_queues):
    """Another process claimed partition 2 behind this allocator's back: queue 0 (partitions
    0 and 2) is handed back whole, and its next owner (this allocator again, the only one)
    claims both partitions anew before it decides anything."""
    api = Api(shared_queues)
    settings = shared_queues.allocator_settings
    doctors = await _doctors_on_every_partition(api, settings.partitions)
    slots = {p: await api.slot(doctors[p]["id"]) for p in (0, 2)}
    assert (await api.book(slots[2])).status_code == 201  # queue 0 is owned and flowing
    engine = new_engine(settings.database_url)
    try:
        before = await _owners(engine)
        await claim(async_sessionmaker(engine), 2, "another-process")

        booked = await api.book(slots[2])

        assert booked.status_code == 201, booked.text
        after = await _owners(engine)
    finally:
        await engine.dispose()
    assert after[2][1] != "another-process"  # taken back
    assert after[2][0] == before[2][0] + 2  # the usurper's epoch, then ours again
    assert after[0][0] == before[0][0] + 1  # its queue-mate was claimed anew with it
    assert after[0][1] == after[2][1]


async def test_batches_in_hand_when_a_queue_comes_back_claim_its_partitions_once(infra):
    """One delivery a batch, four in hand at once: after a takeover every batch then in hand
    is fenced and the queue comes back with many deliveries. Each partition is claimed once;
    a claim by each batch fenced the batches already deciding, and they the next (a
    livelock seen when a killed allocator's deliveries came back)."""
    async with running(infra, batch_max=1) as client:
        api = Api(client)
        settings = client.allocator_settings
        doctors = await _doctors_on_every_partition(api, settings.partitions)
        slots = {p: await api.slot(doctors[p]["id"], capacity=40) for p in (0, 2)}
        assert (await api.book(slots[0])).status_code == 201  # queue 0 is owned and flowing
        engine = new_engine(settings.database_url)
        try:
            before = await _owners(engine)
            await claim(async_sessionmaker(engine), 2, "another-process")
            envelopes = [_booking(doctors[p], slots[p], f"Burst {n}")
                         for n in range(20) for p in (0, 2)]
            async with asking(settings) as asker:
                await asyncio.gather(*(asker.batch([envelope]) for envelope in envelopes))
                replies = await asker.answered({e.command_id for e in envelopes})
            after = await _owners(engine)
        finally:
            await engine.dispose()
    assert [r for r in replies.values() if not r.ok] == []  # all booked: room for each
    assert after[2][0] == before[2][0] + 2  # the usurper's epoch, then ours once
    assert after[0][0] == before[0][0] + 1


async def _owners(engine) -> dict[int, tuple[int, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT partition, epoch, owner FROM partition_owners"))
        return {partition: (epoch, owner) for partition, epoch, owner in rows}
