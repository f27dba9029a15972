"""FastAPI dependencies: the runtime the lifespan built, a read session per request, and
who is calling (opd_shared.access: 401, 403 and 429 are answered before a route runs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from opd_shared.access import Caller, Permission
from opd_shared.access.guard import requires
from opd_shared.dependencies import app_runtime, request_session
from queue_view.bootstrap import Runtime

__all__ = ["ADMIN", "READ", "PatientsShown", "Reader", "RuntimeDep", "SessionDep",
           "TokenReader"]

RuntimeDep = Annotated[Runtime, Depends(app_runtime)]
SessionDep = Annotated[AsyncSession, Depends(request_session)]

# One instance of each, so that a router's dependency and a route's parameter are the
# same dependency: FastAPI then identifies the caller once, and the rate limit counts once.
READ = requires(Permission.READ_QUEUE)  # every role; nobody at all when reads are open
ADMIN = requires(Permission.MANAGE_SCHEDULE)  # admin only
Reader = Annotated[Caller, READ]
# One token at a time: not the display's role; a channel's key reaches only its own tokens.
TokenReader = Annotated[Caller, requires(Permission.READ_TOKENS)]


async def _patients_shown(caller: Reader) -> bool:
    return caller.can(Permission.READ_PATIENTS)


PatientsShown = Annotated[bool, Depends(_patients_shown)]
"""True when the caller may see patients' names and phones (desk, staff, admin)."""
