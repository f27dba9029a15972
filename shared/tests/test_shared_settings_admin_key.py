"""A guessable OPD_ADMIN_KEY stops the service at start, with a sentence saying why."""

import secrets
import uuid

import pytest
from pydantic import ValidationError

from opd_shared.access.keys import new_key
from opd_shared.settings import ServiceSettings


def _settings(admin_key: str) -> ServiceSettings:
    return ServiceSettings(_env_file=None, admin_key=admin_key)  # type: ignore[call-arg]


@pytest.mark.parametrize("key", ["changeme", "s3cr3t-Adm1n-k3y-2024", "x7#Qp!2zR9"])
def test_a_short_admin_key_is_refused(key):
    with pytest.raises(ValidationError, match="OPD_ADMIN_KEY is too weak: use at least 32"):
        _settings(key)


@pytest.mark.parametrize("key", ["a" * 40, "ab" * 20, "password" * 5])
def test_a_long_admin_key_of_few_different_characters_is_refused(key):
    with pytest.raises(ValidationError, match="OPD_ADMIN_KEY is too weak"):
        _settings(key)


# Made inside the test, named by where they come from: test ids must be the same in every
# pytest-xdist worker, and a generated key differs in each.
GENERATED_KEYS = {
    "make-run": new_key,  # what `make run` writes into .env
    "test-session": lambda: f"test-admin-{uuid.uuid4().hex}",
    "bench": lambda: secrets.token_urlsafe(24),  # 32 characters
    "openssl-rand-hex-16": lambda: secrets.token_hex(16),
}


@pytest.mark.parametrize("maker", GENERATED_KEYS.values(), ids=GENERATED_KEYS.keys())
def test_a_generated_admin_key_is_accepted(maker):
    key = maker()
    assert _settings(key).admin_key.get_secret_value() == key


def test_no_admin_key_or_an_empty_one_means_no_bootstrap_admin(monkeypatch):
    monkeypatch.delenv("OPD_ADMIN_KEY", raising=False)

    assert _settings("").admin_key is None
    assert ServiceSettings(_env_file=None).admin_key is None  # type: ignore[call-arg]
