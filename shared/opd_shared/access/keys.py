"""Key material: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["hash_key", "new_key"]


def new_key() -> str:
    return "opd_" + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash cannot be brute-forced; no salt is needed.
    return hashlib.sha256(key.encode()).hexdigest()
