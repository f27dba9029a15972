"""A message's items, whichever contract version carried them: version 2's batch, or a
version-1 message's one item (still read during a rolling upgrade; see docs/ARCHITECTURE.md).

A version-2 body is validated whole first (one pass, the usual case). Only when that fails
is it taken apart item by item, so one bad item becomes an `Unreadable` in its place and its
neighbours are still handled. A body that is neither shape, or a batch that is wrong as a
whole while each item is fine (no items, more than it may carry), raises pydantic's
ValidationError, and the batch consumer parks it whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from opd_shared.retries import reason_for

__all__ = ["Items", "Unreadable", "items_of"]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Unreadable:
    """An item of a version-2 message that is not what its field promises."""

    reason: str  # pydantic's location and message, never the item's content


@dataclass(frozen=True)
class Items(Generic[M]):
    """What one delivery carries: its contract version and its items, in order."""

    version: int
    items: list[M | Unreadable]

    def readable(self) -> list[M]:
        return [item for item in self.items if not isinstance(item, Unreadable)]


def items_of(body: bytes, single: type[M], batch: type[BaseModel], field: str) -> Items[M]:
    """The items of `body`: a `batch` (version 2) whose `field` lists `single`s, or one
    `single` (version 1)."""
    try:
        return Items(2, list(getattr(batch.model_validate_json(body), field)))
    except ValidationError as not_batch:
        loose = _loose_batch(body, field)
        if loose is None:
            return Items(1, [single.model_validate_json(body)])  # or raise: not v1 either
        items = [_item(single, raw) for raw in loose]
        if not any(isinstance(item, Unreadable) for item in items):
            raise not_batch from None  # the batch itself is wrong, not one of its items
        return Items(2, items)


def _loose_batch(body: bytes, field: str) -> list[object] | None:
    """The raw items of a body shaped as a version-2 batch, else None."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("version") == 2 and isinstance(data.get(field), list):
        return data[field]
    return None


def _item(single: type[M], raw: object) -> M | Unreadable:
    try:
        return single.model_validate(raw)
    except ValidationError as error:
        return Unreadable(reason_for(error))
