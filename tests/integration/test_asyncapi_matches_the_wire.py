"""docs/asyncapi.json says how each message travels; a booking's real messages must agree.

A queue of the test's own is bound to the commands and events exchanges, so it receives a
copy of what the gateway and the allocator really publish for one booking.
"""

from __future__ import annotations

import json
from pathlib import Path

import aio_pika

from opd_shared.messaging import body_of

from .conftest import eventually, new_phone

DOCUMENT = Path(__file__).parents[2] / "docs" / "asyncapi.json"


def _documented(operation: str) -> dict:
    return json.loads(DOCUMENT.read_text())["operations"][operation]["bindings"]["amqp"]


def _encoding(message: str) -> str | None:
    """The `contentEncoding` of the message's AMQP binding, if it has one."""
    document = json.loads(DOCUMENT.read_text())["components"]["messages"][f"{message}:Message"]
    return document.get("bindings", {}).get("amqp", {}).get("contentEncoding")


async def test_commands_and_events_travel_as_the_document_says(hospital) -> None:
    _, (slot,) = await hospital.doctor_with_slots(5)
    topology = hospital.settings.topology
    connection = await aio_pika.connect(hospital.settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        tap = await channel.declare_queue(exclusive=True)
        for partition in range(topology.partitions):
            await tap.bind(topology.commands_exchange, routing_key=topology.routing_key(partition))
        await tap.bind(topology.events_exchange, routing_key="#")

        await hospital.gateway.post("/api/v1/tokens", headers=hospital.admin, json={
            "patient_name": "Tap", "patient_phone": new_phone(), "doctor_id": slot["doctor_id"],
            "slot_id": slot["id"], "source": "walk_in"})
        seen: dict[str, aio_pika.abc.AbstractIncomingMessage] = {}

        async def both() -> dict:
            while (message := await tap.get(no_ack=True, fail=False)) is not None:
                seen["events" if message.exchange == topology.events_exchange
                     else "commands"] = message
            return seen
        await eventually(both, lambda s: len(s) == 2)

    assert {name: int(message.delivery_mode) for name, message in seen.items()} == {
        name: _documented(name)["deliveryMode"] for name in ("commands", "events")}
    # Events deflated, commands as they are: each as its message's binding says.
    assert {name: message.content_encoding for name, message in seen.items()} == {
        name: _encoding(name) for name in ("commands", "events")} == {
        "commands": None, "events": "deflate"}
    # Both travel as the documented version-2 batches (CommandBatch, EventBatch).
    assert {name: json.loads(body_of(message))["version"] for name, message in seen.items()} == {
        "commands": 2, "events": 2}
    assert len(json.loads(seen["commands"].body)["commands"]) == 1  # a lone booking: no wait
    assert seen["events"].routing_key == "token.allocated"
