"""A request's fingerprint hashes the path as `request.url.path` gives it, however the path
is found, and the command as `json.dumps(..., sort_keys=True)` writes it: a retried request
must meet the fingerprint its first try left in the allocator's inbox, or the same
Idempotency-Key would be refused as reused after an upgrade."""

from __future__ import annotations

import hashlib
import json

import pytest
from starlette.requests import Request

from booking_gateway.submit import _identity, _path_of
from opd_contracts import BookToken
from opd_shared.access import Caller, Role

PATHS = ["/api/v1/tokens", "/api/v1/tokens/5/cancel", "/api/v1/doctors/12/delay",
         "/api/v1/slots/3", "/", "//api/v1/tokens", "/api/v1/tokens?x", "/a#b", "/a\\b",
         "/a b", "/naïve", "/a\tb", "/a/./b/../c", "/prefix/api/v1/tokens"]
HOSTS = [b"gateway", b"gateway:8000", b"[::1]:8000", b"bad host/with?junk", None]


def _request(path: str, host: bytes | None) -> Request:
    headers = [(b"host", host)] if host is not None else []
    return Request({"type": "http", "method": "POST", "path": path, "root_path": "",
                    "query_string": b"emergency=true", "scheme": "http",
                    "server": ("10.0.0.1", 8000), "headers": headers})


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", PATHS)
def test_the_fingerprinted_path_is_the_urls_path(path, host):
    request = _request(path, host)

    assert _path_of(request) == request.url.path


@pytest.mark.parametrize("name", ["Asha", "Zoë \u0915\u092e\u0932", "Ann \"Dee\" \\ O'Neil"])
def test_the_fingerprint_hashes_the_command_as_json_dumps_wrote_it(name):
    command = BookToken(doctor_id=3, slot_id=4099, patient_name=name, source="online",
                        patient_phone="+91 98450 00000", notes="first\tvisit", channel="app")
    caller = Caller(7, "app", Role.ONLINE, "app")

    _, _, fingerprint = _identity(_request("/api/v1/tokens", b"gateway"), caller, command)

    written = json.dumps(command.model_dump(mode="json"), sort_keys=True)
    assert fingerprint == hashlib.sha256(f"/api/v1/tokens\n{written}".encode()).hexdigest()
