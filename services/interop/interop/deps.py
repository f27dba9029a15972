"""FastAPI dependencies: the runtime the lifespan built, and the caller, identified at the
door (401/403/429 answered here, per client address, before anything goes upstream)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from interop.bootstrap import Runtime
from interop.fhir.mapping import Mapper
from interop.upstream import Upstreams
from opd_shared.access import Caller
from opd_shared.access.guard import requires

__all__ = ["Auth", "Identified", "MapperDep", "RuntimeDep", "UpstreamsDep"]


async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _upstreams(runtime: RuntimeDep) -> Upstreams:
    return runtime.upstreams


async def _mapper(runtime: RuntimeDep) -> Mapper:
    return runtime.mapper


UpstreamsDep = Annotated[Upstreams, Depends(_upstreams)]
MapperDep = Annotated[Mapper, Depends(_mapper)]
# Any known key (or none, where reads are open): what it may do is the gateway's and
# queue-view's to decide, with the same key, so the rules live in one place.
Identified = Annotated[Caller, requires()]


async def _auth(request: Request, caller: Identified) -> str:
    """The caller's own Authorization header, passed on unchanged."""
    return request.headers.get("Authorization", "")


Auth = Annotated[str, Depends(_auth)]
