"""A stale owner cannot write: once another process claims the partition, its batch is refused
before anything reaches the database."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from allocator.adapters.ownership import claim
from allocator.bootstrap import new_lanes
from allocator.service_layer.batches import BatchDecider
from allocator.service_layer.errors import Fenced
from opd_contracts import BookToken, CommandEnvelope
from opd_contracts.topology import partition_of_doctor


async def test_a_stale_owner_is_fenced_and_writes_nothing(api, gateway):
    doctor = await api.doctor()
    slot = await api.slot(doctor["id"], capacity=5)
    settings = gateway.allocator_settings
    partition = partition_of_doctor(doctor["id"], settings.partitions)
    engine = create_async_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    # Two processes' deciders: each on a lane of its own, as the allocator builds them.
    stale, usurper = (BatchDecider(partition, partial(claim, sessions),
                                   new_lanes(settings, sessions)[0]) for _ in range(2))
    await stale.claim("stale-process")
    await usurper.claim("new-owner")
    envelope = CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=doctor["id"], slot_id=slot["id"], patient_name="Late",
                          source="online"))

    with pytest.raises(Fenced):
        await stale.decide([envelope])

    async with engine.connect() as conn:
        written = await conn.scalar(text(
            "SELECT (SELECT count(*) FROM tokens WHERE slot_id = :s)"
            " + (SELECT count(*) FROM inbox WHERE command_id = :c)"),
            {"s": slot["id"], "c": envelope.command_id})
    await engine.dispose()
    assert written == 0
    assert (await api.book(slot)).status_code == 201  # the real owner carries on
