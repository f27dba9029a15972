"""ABDM Scan & Share, HIP side: the gateway shares a patient's profile; we answer 202 and
send the token number through on-share (interop.abdm.desk)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from interop.abdm.errors import AbdmRefusal
from interop.abdm.profile import ShareRequest
from interop.deps import RuntimeDep
from opd_shared.http import error_responses

__all__ = ["router"]

router = APIRouter(tags=["abdm"])


def _sentence(error: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")}
                                    for e in error.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                       for e in errors[:5])
    return detail, errors


@router.post("/v1.0/patients/profile/share", status_code=202,
             summary="ABDM gateway: a patient shared their profile at a counter (Scan & Share)",
             responses={202: {"description": "Accepted: the token number follows through "
                                             "on-share"}, **error_responses(400, 401)})
async def share_profile(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Authenticated by the ABDM gateway's access token (a JWT verified against its keys),
    idempotent on `requestId`; a malformed share is 400 and books nothing."""
    runtime.gateway_tokens.verify(request.headers.get("Authorization"))
    hip_id, ours = request.headers.get("X-HIP-ID"), runtime.settings.abdm_hip_id
    if ours and hip_id and hip_id != ours:
        raise AbdmRefusal(400, "invalid_request", f"X-HIP-ID {hip_id!r} is not this HIP")
    try:
        share = ShareRequest.model_validate(json.loads(await request.body() or b"null"))
    except ValueError as error:  # not JSON, or not a share (ValidationError is a ValueError)
        if isinstance(error, ValidationError):
            detail, errors = _sentence(error)
        else:
            detail, errors = "the body is not JSON", []
        return JSONResponse({"detail": detail, "code": "invalid_request", "errors": errors},
                            status_code=400)
    await runtime.desk.accept(share)
    return JSONResponse({"status": "ACCEPTED", "requestId": str(share.requestId)},
                        status_code=202)
