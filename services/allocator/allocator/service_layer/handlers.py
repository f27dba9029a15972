"""Which handler decides which command. Each is small: load a schedule, decide once, save."""

from __future__ import annotations

from types import MappingProxyType

from allocator.service_layer import schedule_handlers as schedules
from allocator.service_layer import token_handlers as tokens
from allocator.service_layer.decided import Handlers
from opd_contracts import (
    BookToken,
    CallNext,
    CancelToken,
    ChangeTokenStatus,
    DelayDoctor,
    OpenSlot,
    ReallocateToken,
    RegisterDoctor,
    ResizeSlot,
)

__all__ = ["HANDLERS"]

# Read-only: a test or a composition that wants another handler passes its own mapping.
HANDLERS: Handlers = MappingProxyType({
    RegisterDoctor: schedules.register_doctor,
    OpenSlot: schedules.open_slot,
    ResizeSlot: schedules.resize_slot,
    BookToken: tokens.book_token,
    CancelToken: tokens.change_token_status,
    ChangeTokenStatus: tokens.change_token_status,
    ReallocateToken: tokens.reallocate_token,
    CallNext: tokens.call_next,
    DelayDoctor: tokens.delay_doctor,
})
