"""A minimal local stand-in of the ABDM gateway, for tests: it hands out a session and
records every on-share it receives. Nothing else: the client code that calls it is the
production code (interop.abdm.client), pointed here by its HTTP client.

It also plays the gateway's signing side: a locally generated RSA key whose public half is
the JWKS interop is configured with, and `token()` makes the access token the gateway
would send with a share.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SESSION = "stand-in-session-token"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class AbdmStandIn:
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    on_shares: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def jwks(self) -> str:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": "stand-in-gateway", "sub": "gateway", "iat": now, "exp": now + 300,
                **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v0.5/sessions")
        async def session(request: Request) -> JSONResponse:
            body = await request.json()
            if not (body.get("clientId") and body.get("clientSecret")):
                return JSONResponse({"error": {"code": 1401, "message": "bad"}}, 401)
            return JSONResponse({"accessToken": SESSION, "expiresIn": 1200,
                                 "tokenType": "bearer"})

        @app.post("/v1.0/patients/profile/on-share")
        async def on_share(request: Request) -> JSONResponse:
            if request.headers.get("Authorization") != f"Bearer {SESSION}":
                return JSONResponse({"error": {"code": 1401, "message": "no session"}}, 401)
            self.on_shares.append(await request.json())
            self.headers.append(dict(request.headers))
            self.arrived.set()
            return JSONResponse(None, 202)

        return app

    async def answer_to(self, request_id: str, at_least: int = 1,
                        seconds: float = 20) -> list[dict[str, Any]]:
        """Every on-share answering `request_id`, once `at_least` came (or time is up)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [c for c in self.on_shares if c["resp"]["requestId"] == request_id]
            if len(found) >= at_least:
                return found
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.2)
        return [c for c in self.on_shares if c["resp"]["requestId"] == request_id]
