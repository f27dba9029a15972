"""What a production deployment must not run with: the development defaults.

`make run` works on this machine's RabbitMQ as guest:guest and PostgreSQL as `postgres`
with trust, and generates an admin key; a hospital's deployment that forgot a variable
would otherwise start the same way, with credentials every scanner tries first.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["production_problems"]


def production_problems(amqp_url: str, postgres_url: str, admin_key: str | None,
                        defaults: dict[str, str]) -> list[str]:
    """Each reason, as a sentence naming its variable, why these must not serve patients."""
    problems = []
    if amqp_url == defaults["amqp_url"]:
        problems.append("OPD_AMQP_URL is the built-in development default")
    elif _logs_in_as_guest(amqp_url):
        problems.append("OPD_AMQP_URL logs in as RabbitMQ's well-known guest:guest")
    if postgres_url == defaults["postgres_url"]:
        problems.append("OPD_POSTGRES_URL is the built-in development default "
                        "(user postgres, no password)")
    if not admin_key:  # a weak one is refused in every mode (settings: _admin_key_is_strong)
        problems.append("OPD_ADMIN_KEY is not set")
    return problems


def _logs_in_as_guest(amqp_url: str) -> bool:
    """aio-pika logs in as guest:guest when a URL (of one node, or of any of several,
    comma-separated) names no user or no password."""
    return any((url.username or "guest") == "guest" and (url.password or "guest") == "guest"
               for url in map(urlsplit, amqp_url.split(",")))
