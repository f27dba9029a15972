"""The AsyncAPI document of every message the product sends, generated from the contracts.

The allocator and gateway speak AMQP through aio-pika, so no live FastStream broker knows
all the channels; a documentation-only broker declares each one with its contract, and
FastStream renders the specification from it (nothing here connects to anything).
"""

from __future__ import annotations

import json

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.specification import AsyncAPI

from opd_contracts import CommandBatch, EventBatch, ReplyBatch
from opd_shared.messaging.encoding import DEFLATE
from opd_shared.topology import Topology

__all__ = ["asyncapi_json"]


def _documented_broker(topology: Topology) -> RabbitBroker:
    broker = RabbitBroker(description="RabbitMQ: commands in, decisions back, events out")
    commands = RabbitExchange(topology.commands_exchange, type=ExchangeType.DIRECT, durable=True)
    events = RabbitExchange(topology.events_exchange, type=ExchangeType.TOPIC, durable=True)
    broker.publisher(
        topology.partition_queue(0), commands, routing_key="pNN", schema=CommandBatch,
        title="commands", persist=True,
        description="Gateway -> allocator, contract version 2: 1-100 commands for one "
                    "command queue, of any of its partitions. A command's partition is "
                    "crc32(doctor_id) % N (slot and token ids carry it: id % N); queue q of Q "
                    "carries the partitions p % Q == q and is bound to each one's routing key "
                    "p{p:02d}; a batch goes with the key of the queue's first, p{q:02d}. "
                    "Persistent, confirmed, mandatory;"
                    " message_id = the first command's command_id; reply_to = the gateway's "
                    "reply queue. Consumers also read a version-1 message (one "
                    "CommandEnvelope, correlation_id = command_id).")
    broker.publisher(
        "amq.gen-reply", schema=ReplyBatch, title="replies",
        description="Allocator -> the asking gateway's own reply queue, contract version 2: "
                    "the replies of one round to that gateway; each finds its request by "
                    "command_id (no correlation_id). A version-1 command gets a version-1 "
                    "reply (one Reply, correlation_id = command_id). Transient: a reply "
                    "outlives neither its gateway nor its request (a retried request is "
                    "answered from the allocator's inbox).")
    broker.publisher(
        RabbitQueue(topology.consumer_queue("<read model>")), events, routing_key="<type>",
        schema=EventBatch, title="events", persist=True,
        description="Allocator outbox -> every read model's own durable queue (binding '#'). "
                    "Contract version 2: 1-100 events of one type, in outbox order; routing "
                    "key = that event type; message_id = the first event's event_id. Each "
                    "event keeps its event_id and per-doctor seq (which orders a doctor's "
                    "events). The body is deflated (content_encoding 'deflate': zlib's "
                    "format) unless the allocator runs with OPD_DEFLATE_EVENTS=false; "
                    "consumers read both. Consumers also read a version-1 message (one "
                    "EventEnvelope).")
    return broker


def asyncapi_json(topology: Topology) -> str:
    spec = AsyncAPI(_documented_broker(topology), title="OPD token allocation — messages",
                    version="1", schema_version="3.0.0")
    document = spec.to_specification().to_jsonable()
    # FastStream renders no message bindings; the events' says how their bodies travel.
    document["components"]["messages"]["events:Message"]["bindings"] = {
        "amqp": {"bindingVersion": "0.3.0", "contentEncoding": DEFLATE}}
    # Sorted keys: FastStream collects channels in a set, and the document must not churn.
    return json.dumps(document, indent=1, sort_keys=True)
