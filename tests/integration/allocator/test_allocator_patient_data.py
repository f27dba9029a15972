"""A booking that fails, however it fails, leaves no patient's name or phone in an error, a
log line or a dead letter's reason: only in the dead letter's body, which `purge` redacts."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from allocator.service_layer.decided import Decided
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import BookToken, CommandEnvelope
from opd_contracts.vocabulary import Source
from opd_shared.logging import formatter

from .conftest import running
from .desk import envelope
from .test_allocator_poison import _dead_letter, _publish

NAME, PHONE = "Zorawar Quill", "+91 98765 43210"


def _shows_the_patient(text: str) -> bool:
    return NAME in text or PHONE in text


def _written(caplog) -> str:
    """The log lines as the allocator writes them. caplog's own text is the raw records,
    before the product's formatter redacts them (aio-pika's DEBUG lines carry bodies)."""
    lines = formatter("allocator")
    return "\n".join(lines.format(record) for record in caplog.records)


async def test_a_booking_the_database_refuses_is_reported_without_the_patient(desk, caplog):
    caplog.set_level(logging.DEBUG)
    slot = await desk.slot(await desk.doctor(partition=0))
    too_long = BookToken.model_construct(  # past the contract's checks, as a bug would be
        type="book_token", doctor_id=slot["doctor_id"], slot_id=slot["id"],
        patient_name=f"{NAME} " * 10, patient_phone=PHONE, source=Source.ONLINE, notes=None,
        emergency=False)

    [refused] = await desk.batch(envelope(too_long))

    assert isinstance(refused, Exception) and "value too long" in str(refused)
    assert not _shows_the_patient(str(refused)) and not _shows_the_patient(repr(refused))
    assert "value too long" in caplog.text and not _shows_the_patient(_written(caplog))


def _booking_body(slot: dict, phone: str) -> bytes:
    return (f'{{"command_id": "{uuid.uuid4()}", "issued_at": "{dt.datetime.now(dt.UTC)}", '
            f'"fingerprint": "f", "command": {{"type": "book_token", "doctor_id": '
            f'{slot["doctor_id"]}, "slot_id": {slot["id"]}, "patient_name": "{NAME}", '
            f'"patient_phone": "{phone}", "source": "online"}}}}').encode()


async def test_an_undecodable_booking_is_dead_lettered_and_logged_without_the_patient(
        api, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    settings = gateway.allocator_settings
    slot = await api.slot((await api.doctor())["id"])
    message_id = uuid.uuid4().hex

    await _publish(settings, _booking_body(slot, f"{PHONE} call after six"), message_id,
                   partition=slot["id"] % settings.partitions)

    dead = await _dead_letter(settings, message_id)
    reason = dead.headers["x-opd-reason"]
    assert "undecodable command" in reason and "patient_phone" in reason
    assert not _shows_the_patient(reason)
    assert "dead-lettering" in caplog.text and not _shows_the_patient(_written(caplog))


async def _storing_half_a_row(uow, cmd: BookToken, now: dt.datetime) -> Decided:
    """Books as usual, except the patient NAME: half a row, which PostgreSQL refuses and
    quotes in its DETAIL, name and phone."""
    if cmd.patient_name != NAME:
        return await HANDLERS[BookToken](uow, cmd, now)
    await uow.session.execute(text(
        "INSERT INTO tokens (id, token_number, patient_name, patient_phone)"
        " VALUES (0, 'half', :name, :phone)"), {"name": NAME, "phone": PHONE})
    raise AssertionError("PostgreSQL accepted half a row")


@pytest.fixture(scope="module")
async def gateway(infra) -> AsyncIterator[httpx.AsyncClient]:
    """This module's allocator books NAME with `_storing_half_a_row`. Started before the
    tests, so that starting it does not replace their log capture."""
    async with running(infra, handlers={**HANDLERS, BookToken: _storing_half_a_row}) as client:
        yield client


async def test_a_booking_that_keeps_failing_is_dead_lettered_and_logged_without_the_patient(
        api, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    settings = gateway.allocator_settings
    slot = await api.slot((await api.doctor())["id"])
    booking = CommandEnvelope(
        command_id=uuid.uuid4(), issued_at=dt.datetime.now(dt.UTC), fingerprint="f",
        command=BookToken(doctor_id=slot["doctor_id"], slot_id=slot["id"], patient_name=NAME,
                          patient_phone=PHONE, source="online"))

    await _publish(settings, booking.model_dump_json().encode(), str(booking.command_id),
                   partition=booking.command.partition(settings.partitions))

    dead = await _dead_letter(settings, str(booking.command_id))
    assert "SQLSTATE 23502" in dead.headers["x-opd-reason"]  # not-null, said without the row
    assert not _shows_the_patient(dead.headers["x-opd-reason"])
    written = _written(caplog)
    assert "not-null constraint" in written and "DETAIL" in written  # PostgreSQL's, blanked
    assert not _shows_the_patient(written)
