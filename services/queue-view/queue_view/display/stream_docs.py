"""The display stream in the OpenAPI document: the event stream's `schema` describes one
event, as OpenAPI 3.1 reads it for `text/event-stream` (3.2 names it `itemSchema`, which a
3.1 document may not carry: openapi-spec-validator refuses it), and a `boards` event's
`data` is JSON of the given shape (`contentSchema`), so clients and the property-based
tests can check every message."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["stream_response"]


def _inlined(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` references replaced by what they name: a
    schema nested inside an event cannot point into `#/$defs` of a document it is not."""
    schema = model.model_json_schema(mode="serialization")
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[1]])
            return {key: walk(value) for key, value in node.items()}
        return [walk(value) for value in node] if isinstance(node, list) else node

    return dict(walk(schema))


def stream_response(boards: type[BaseModel]) -> dict[str, Any]:
    boards_event = {
        "type": "object", "required": ["event", "data", "id"],
        "properties": {
            "event": {"const": "boards"},
            "data": {"type": "string", "contentMediaType": "application/json",
                     "contentSchema": _inlined(boards)},
            "id": {"type": "string", "description": "Send back as Last-Event-ID"},
            "retry": {"type": "integer", "minimum": 0},
        },
    }
    ping_event = {
        "type": "object", "required": ["event", "data"],
        "properties": {"event": {"const": "ping"},
                       "data": {"type": "string", "description": "The server's UTC time"}},
    }
    return {"description": "The boards, then their changes (or one snapshot: see above)",
            "content": {"text/event-stream": {"schema": {"oneOf": [boards_event, ping_event]}}}}
