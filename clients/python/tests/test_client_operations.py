"""The client calls only what the services document: every row of its operations table is
an operation of that service's OpenAPI document, with the same method and path, and every
parameter, header and body it sends declared there (and every one required, sent)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from booking_gateway.main import create_app as gateway_app
from booking_gateway.settings import GatewaySettings
from opd_client.operations import OPERATIONS, Operation
from queue_view.main import create_app as queue_view_app
from queue_view.settings import QueueViewSettings


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {"gateway": gateway_app(GatewaySettings(_env_file=None)).openapi(),  # type: ignore[call-arg]
            "queue_view": queue_view_app(QueueViewSettings(_env_file=None)).openapi()}  # type: ignore[call-arg]


def differences(operation: Operation, document: dict[str, Any]) -> list[str]:
    """How the client's row differs from the document (empty: it matches)."""
    found = document["paths"].get(operation.path, {}).get(operation.method.lower())
    if found is None:
        return [f"no {operation.method} {operation.path}"]
    declared: dict[str, set[str]] = {"query": set(), "header": set(), "path": set()}
    required: dict[str, set[str]] = {"query": set(), "header": set(), "path": set()}
    for parameter in found.get("parameters", []):
        declared[parameter["in"]].add(parameter["name"])
        if parameter.get("required"):
            required[parameter["in"]].add(parameter["name"])
    sent = {"query": set(operation.query), "header": set(operation.headers),
            "path": set(re.findall(r"\{(\w+)\}", operation.path))}
    problems = [f"{where} {sorted(sent[where] - declared[where])} not declared"
                for where in sent if sent[where] - declared[where]]
    problems += [f"{where} {sorted(required[where] - sent[where])} required, not sent"
                 for where in sent if required[where] - sent[where]]
    body = found.get("requestBody")
    if operation.body != (body is not None):
        problems.append("body sent but none declared" if operation.body else
                        "body declared but none sent")
    if body is not None and body.get("required") and not operation.body:
        problems.append("a required body is not sent")
    return problems


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_the_client_calls_is_documented_as_it_calls_it(name, documents):
    operation = OPERATIONS[name]

    assert differences(operation, documents[operation.service]) == []


def test_a_row_that_drifted_from_the_document_is_caught(documents):
    book = OPERATIONS["book"]
    drifted = [
        Operation("gateway", "GET", book.path, book.query, book.headers, book.body),
        Operation("gateway", "POST", "/api/v1/token", body=True),
        Operation("gateway", "POST", book.path, ("emergency", "urgent"), book.headers, True),
        Operation("gateway", "POST", book.path, book.query, ("Idempotency-Token",), True),
        Operation("gateway", "POST", book.path, book.query, book.headers, body=False),
        Operation("queue_view", "GET", "/api/v1/slots/{slot}/queue"),
    ]

    assert all(differences(op, documents[op.service]) for op in drifted)
