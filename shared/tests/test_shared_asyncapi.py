"""The AsyncAPI document names every channel and every command and event shape."""

from __future__ import annotations

import json
from pathlib import Path

from opd_contracts.commands import Command
from opd_shared.asyncapi import asyncapi_json
from opd_shared.topology import Topology

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def test_every_channel_and_every_command_is_documented_with_the_version_2_batches():
    document = json.loads(asyncapi_json(Topology("opd", 16)))

    assert set(document["channels"]) == {"commands", "replies", "events"}
    schemas = document["components"]["schemas"]
    commands = {member.__name__ for member in Command.__origin__.__args__}
    assert commands <= set(schemas), commands - set(schemas)
    assert {"EventEnvelope", "TokenRecord", "SlotRecord", "Reply"} <= set(schemas)
    payloads = {name: message["payload"]["$ref"].rsplit("/", 1)[-1]
                for name, message in document["components"]["messages"].items()}
    assert sorted(payloads.values()) == ["CommandBatch", "EventBatch", "ReplyBatch"]


def test_the_committed_document_is_the_one_the_code_generates():
    """docs/asyncapi.json is regenerated with `make docs`; a drift fails here."""
    assert COMMITTED.read_text() == asyncapi_json(Topology("opd", 16)) + "\n"
