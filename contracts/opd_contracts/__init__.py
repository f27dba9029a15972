"""Versioned wire contracts: commands to the allocator, its replies, and its events.

Names are loaded on first use (PEP 562), so that importing `opd_contracts.vocabulary` (as
the allocator's pure domain does) loads the standard library alone, not pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a type checker sees: the names, explicitly re-exported
    from opd_contracts.batches import CommandBatch as CommandBatch
    from opd_contracts.batches import EventBatch as EventBatch
    from opd_contracts.batches import ReplyBatch as ReplyBatch
    from opd_contracts.commands import BookToken as BookToken
    from opd_contracts.commands import CallNext as CallNext
    from opd_contracts.commands import CancelToken as CancelToken
    from opd_contracts.commands import ChangeTokenStatus as ChangeTokenStatus
    from opd_contracts.commands import Command as Command
    from opd_contracts.commands import CommandEnvelope as CommandEnvelope
    from opd_contracts.commands import DelayDoctor as DelayDoctor
    from opd_contracts.commands import OpenSlot as OpenSlot
    from opd_contracts.commands import ReallocateToken as ReallocateToken
    from opd_contracts.commands import RegisterDoctor as RegisterDoctor
    from opd_contracts.commands import ResizeSlot as ResizeSlot
    from opd_contracts.events import EventEnvelope as EventEnvelope
    from opd_contracts.events import EventType as EventType
    from opd_contracts.records import DoctorRecord as DoctorRecord
    from opd_contracts.records import SlotRecord as SlotRecord
    from opd_contracts.records import TokenRecord as TokenRecord
    from opd_contracts.replies import Reply as Reply
    from opd_contracts.vocabulary import ErrorCode as ErrorCode

_HOME = {
    **dict.fromkeys(["CommandBatch", "EventBatch", "ReplyBatch"], "batches"),
    **dict.fromkeys(["BookToken", "CallNext", "CancelToken", "ChangeTokenStatus", "Command",
                     "CommandEnvelope", "DelayDoctor", "OpenSlot", "ReallocateToken",
                     "RegisterDoctor", "ResizeSlot"], "commands"),
    **dict.fromkeys(["EventEnvelope", "EventType"], "events"),
    **dict.fromkeys(["DoctorRecord", "SlotRecord", "TokenRecord"], "records"),
    "Reply": "replies",
    "ErrorCode": "vocabulary",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'opd_contracts' has no attribute {name!r}")
    return getattr(importlib.import_module(f"opd_contracts.{_HOME[name]}"), name)
