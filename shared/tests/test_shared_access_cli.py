"""`python -m opd_shared.access` gives a key a daily booking quota and shows every key's."""

import os
import subprocess
import sys

from opd_shared.access import Role
from opd_shared.access.store import KeyStore


def _cli(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opd_shared.access", *arguments],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


def _line_of(listing: str, name: str) -> str:
    return next(line for line in listing.splitlines() if line.endswith(name))


async def test_a_key_created_with_daily_bookings_keeps_them_and_list_shows_them(infra):
    namespace = infra.namespace("cli")
    env = {**infra.env(namespace), "OPD_DAILY_BOOKINGS_PARTNER": "300"}

    created = _cli(env, "create", "--name", "Portal A", "--role", "partner",
                   "--daily-bookings", "40")
    _cli(env, "create", "--name", "Portal B", "--role", "partner")
    listed = _cli(env, "list")
    store = KeyStore(f"{infra.postgres_url}/{namespace}_access")
    try:
        record = await store.find(created.stdout.splitlines()[1])
    finally:
        await store.close()

    assert created.returncode == 0, created.stderr
    assert record is not None and (record.role, record.daily_bookings) == (Role.PARTNER, 40)
    assert "40 bookings/day " in _line_of(listed.stdout, "Portal A")
    assert "300 bookings/day (role default)" in _line_of(listed.stdout, "Portal B")


def test_a_negative_daily_bookings_is_refused(infra):
    refused = _cli(infra.env(infra.namespace("cli")), "create", "--name", "X",
                   "--role", "online", "--daily-bookings", "-5")

    assert refused.returncode == 2 and "0 or more" in refused.stderr
