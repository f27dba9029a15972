"""OPD_ENV=production refuses the development defaults; development keeps them working."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from opd_shared.settings import ServiceSettings

SAFE = {"amqp_url": "amqp://opd:s3cret-broker@rabbitmq:5672/",
        "postgres_url": "postgresql+asyncpg://opd:s3cret-db@postgres:5432",
        "admin_key": "opd_6fJ2kQ9xLm3Rt8WbZ1cVn5Hy7Ps0Dg4E"}


def production(**overrides: Any) -> ServiceSettings:
    values = {**SAFE, **overrides}
    return ServiceSettings(_env_file=None, env="production", **values)  # type: ignore[call-arg]


def refusal(**overrides: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        production(**overrides)
    return str(refused.value)


def test_development_starts_on_the_local_defaults_without_a_key():
    settings = ServiceSettings(_env_file=None)  # type: ignore[call-arg]

    assert settings.env == "development" and settings.admin_key is None
    assert settings.amqp_url.startswith("amqp://guest:guest@")


def test_production_starts_with_credentials_of_its_own():
    assert production().env == "production"


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"amqp_url": "amqp://guest:guest@127.0.0.1:5672/"}, "OPD_AMQP_URL is the built-in"),
    ({"amqp_url": "amqp://guest:guest@rabbitmq:5672/"}, "OPD_AMQP_URL logs in as"),
    ({"amqp_url": "amqp://rabbitmq:5672/"}, "OPD_AMQP_URL logs in as"),
    ({"postgres_url": "postgresql+asyncpg://postgres@127.0.0.1:5432"}, "OPD_POSTGRES_URL is"),
    ({"admin_key": None}, "OPD_ADMIN_KEY is not set"),
    ({"admin_key": "changeme"}, "OPD_ADMIN_KEY is too weak"),
], ids=["default-broker", "guest-broker", "implicit-guest", "default-database", "no-key",
        "short-key"])
def test_production_refuses_each_development_default_by_name(overrides, reason):
    assert reason in refusal(**overrides)


def test_a_refusal_names_every_problem_and_shows_no_secret():
    message = refusal(amqp_url="amqp://guest:guest@rabbitmq/", admin_key=None)
    weak = refusal(admin_key="short-secret-key")

    assert "OPD_ENV=production refuses to start" in message
    assert "guest:guest" in message and "OPD_ADMIN_KEY is not set" in message
    # pydantic would show the inputs (shortened, so a secret only sometimes): none at all.
    assert "input_value" not in message + weak
    assert "short-secret-key" not in weak and "s3cret-db" not in message


def test_production_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPD_ENV", "production")

    with pytest.raises(ValidationError, match="OPD_ADMIN_KEY is not set"):
        ServiceSettings(_env_file=None)  # type: ignore[call-arg]
