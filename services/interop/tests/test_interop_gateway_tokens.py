"""The ABDM gateway's access token is verified offline against its published keys: a
token it did not sign, an expired one, one from another issuer, or none, is refused."""

from __future__ import annotations

import time

import pytest

from interop.abdm.auth import GatewayTokens
from interop.abdm.errors import AbdmRefusal
from interop.abdm.standin import AbdmStandIn

GATEWAY = AbdmStandIn()
VERIFIER = GatewayTokens(GATEWAY.jwks, issuer="stand-in-gateway")


def test_a_token_the_gateway_signed_is_accepted_with_its_claims() -> None:
    claims = VERIFIER.verify(f"Bearer {GATEWAY.token(clientId='ndhm-gateway')}")

    assert claims["clientId"] == "ndhm-gateway"


@pytest.mark.parametrize("header", [
    None, "", "Basic abc", "Bearer ", "Bearer not-a-jwt",
    f"Bearer {AbdmStandIn().token()}",  # another key, the same kid: forged
    f"Bearer {GATEWAY.token(exp=int(time.time()) - 120)}",  # expired (past the leeway)
    f"Bearer {GATEWAY.token(iss='elsewhere')}",
    f"Bearer {GATEWAY.token(exp=None)}",  # no expiry at all
])
def test_anything_else_is_refused_with_401(header: str | None) -> None:
    with pytest.raises(AbdmRefusal) as refused:
        VERIFIER.verify(header)

    assert (refused.value.status, refused.value.headers) == (401, {"WWW-Authenticate": "Bearer"})


def test_without_configured_keys_every_token_is_refused() -> None:
    with pytest.raises(AbdmRefusal, match="OPD_ABDM_JWKS"):
        GatewayTokens(None).verify(f"Bearer {GATEWAY.token()}")
