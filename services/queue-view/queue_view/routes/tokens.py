"""Tokens, by id or by the number printed on the patient's slip."""

from __future__ import annotations

from fastapi import APIRouter

from queue_view.deps import SessionDep
from queue_view.errors import NotFoundError
from queue_view.models import Token
from queue_view.queries import token_by_number
from queue_view.schemas import TokenOut

__all__ = ["router"]

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("/number/{token_number}")
async def get_token_by_number(token_number: str, session: SessionDep) -> TokenOut:
    token = await token_by_number(session, token_number)
    if token is None:
        raise NotFoundError("token", token_number)
    return TokenOut.model_validate(token)


@router.get("/{token_id}")
async def get_token(token_id: int, session: SessionDep) -> TokenOut:
    token = await session.get(Token, token_id)
    if token is None:
        raise NotFoundError("token", token_id)
    return TokenOut.model_validate(token)
