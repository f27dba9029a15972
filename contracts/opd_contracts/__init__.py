"""Versioned wire contracts: commands to the allocator, its replies, and its events."""

from opd_contracts.commands import (
    BookToken,
    CallNext,
    CancelToken,
    ChangeTokenStatus,
    Command,
    CommandEnvelope,
    DelayDoctor,
    OpenSlot,
    ReallocateToken,
    RegisterDoctor,
    ResizeSlot,
)
from opd_contracts.events import EventEnvelope, EventType
from opd_contracts.records import DoctorRecord, SlotRecord, TokenRecord
from opd_contracts.replies import Reply
from opd_contracts.vocabulary import ErrorCode

__all__ = [
    "BookToken",
    "CallNext",
    "CancelToken",
    "ChangeTokenStatus",
    "Command",
    "CommandEnvelope",
    "DelayDoctor",
    "DoctorRecord",
    "ErrorCode",
    "EventEnvelope",
    "EventType",
    "OpenSlot",
    "ReallocateToken",
    "RegisterDoctor",
    "Reply",
    "ResizeSlot",
    "SlotRecord",
    "TokenRecord",
]
