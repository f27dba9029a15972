"""A minimal local stand-in of the ABDM gateway, for tests and for trying Scan & Share on
one machine: it hands out a session and records every on-share it receives. Nothing else:
the client code that calls it is the production code (interop.abdm.client), pointed here
by OPD_ABDM_GATEWAY_URL (or, in tests, by its HTTP client).

It also plays the gateway's signing side: a locally generated RSA key whose public half is
the JWKS interop is configured with, and `token()` makes the access token the gateway
would send with a share.

    python -m interop.abdm.standin keys    # a key (.abdm-standin.pem) and the .env lines
    python -m interop.abdm.standin serve   # :8009, prints each on-share
    python -m interop.abdm.standin token   # an access token, as the gateway would send
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SESSION = "stand-in-session-token"
KEY_FILE = Path(".abdm-standin.pem")
PORT = 8009


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class AbdmStandIn:
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    kid: str = "stand-in"
    on_shares: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    echo: bool = False  # print each on-share (when run as a program)

    @property
    def jwks(self) -> str:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": "stand-in-gateway", "sub": "gateway", "iat": now, "exp": now + 300,
                **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    @classmethod
    def saved(cls) -> AbdmStandIn:
        """The stand-in whose key is in KEY_FILE (made there the first time)."""
        if not KEY_FILE.exists():
            key = _key()
            KEY_FILE.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            KEY_FILE.chmod(0o600)
        loaded = serialization.load_pem_private_key(KEY_FILE.read_bytes(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        return cls(key=loaded)

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
            if self.echo:
                print(json.dumps(self.on_shares[-1], indent=2), flush=True)
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


def main(command: str) -> None:
    standin = AbdmStandIn.saved()
    if command == "keys":
        print(f"OPD_ABDM_GATEWAY_URL=http://127.0.0.1:{PORT}")
        print("OPD_ABDM_CLIENT_ID=local-hip\nOPD_ABDM_CLIENT_SECRET=local-secret")
        print("OPD_ABDM_HIP_ID=LOCAL-HIP\nOPD_ABDM_JWT_ISSUER=stand-in-gateway")
        print(f"OPD_ABDM_JWKS={json.dumps(json.loads(standin.jwks), separators=(',', ':'))}")
    elif command == "token":
        print(standin.token())
    elif command == "serve":
        import uvicorn

        standin.echo = True
        uvicorn.run(standin.app(), host="127.0.0.1", port=PORT, log_level="warning")
    else:
        raise SystemExit("usage: python -m interop.abdm.standin keys|token|serve")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
