"""The ABDM gateway's access token on every call it makes to a HIP: a JWT it signed.

The HIP verifies it offline against the gateway's public keys (the JWKS the gateway
publishes at /v0.5/certs, configured as OPD_ABDM_JWKS): signature, expiry (required),
and the issuer when OPD_ABDM_JWT_ISSUER is set. No key, no share: with no JWKS configured
every share is refused (401), never waved through.
"""

from __future__ import annotations

from typing import Any

import jwt

from interop.abdm.errors import AbdmRefusal

__all__ = ["GatewayTokens"]

_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]
LEEWAY_SECONDS = 30  # the two clocks may differ this much


class GatewayTokens:
    def __init__(self, jwks: str | None, issuer: str | None = None) -> None:
        self.keys = jwt.PyJWKSet.from_json(jwks) if jwks else None
        self.issuer = issuer

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims, or 401 saying why not."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refused("send the ABDM gateway's access token: Authorization: Bearer <jwt>")
        if self.keys is None:
            raise _refused("this HIP has no ABDM gateway keys configured (OPD_ABDM_JWKS)")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._key(kid)
            return jwt.decode(token, key, algorithms=_ALGORITHMS, issuer=self.issuer,
                              leeway=LEEWAY_SECONDS,
                              options={"require": ["exp"], "verify_aud": False})
        except jwt.PyJWTError as error:
            raise _refused(f"the ABDM access token is not valid: {error}") from None

    def _key(self, kid: str | None) -> Any:
        assert self.keys is not None
        matching = [k for k in self.keys.keys if kid is None or k.key_id == kid]
        if not matching:
            raise jwt.InvalidKeyError(f"no ABDM gateway key {kid!r}")
        return matching[0].key


def _refused(detail: str) -> AbdmRefusal:
    return AbdmRefusal(401, "unauthorized", detail, {"WWW-Authenticate": "Bearer"})
