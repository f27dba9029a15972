"""Before `make run`: do RabbitMQ and PostgreSQL answer? If not, say which, where, and how
to start one. Then show where each service will listen."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from yarl import URL

from opd_shared.access.keys import new_key
from opd_shared.broker_nodes import connect, node_urls
from opd_shared.settings import ServiceSettings

ENV_FILE = Path(".env")
# docker-compose.yml's RabbitMQ and PostgreSQL publish no port (production runs them
# unreachable from outside), so a development server is a container of its own, local only.
HOW_TO_START = {
    "RabbitMQ": "start it with `rabbitmq-server -detached`, or `docker run -d "
                "-p 127.0.0.1:5672:5672 rabbitmq:3.13.7-management`",
    "PostgreSQL": "start it with `pg_ctlcluster $(ls /etc/postgresql) main start`, or "
                  "`docker run -d -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust "
                  "postgres:16`",
}


async def _check(settings: ServiceSettings) -> list[str]:
    problems = []
    try:
        connection = await connect(settings.amqp_url, timeout=5)
        await connection.close()
    except Exception as error:
        url = ",".join(str(URL(node).with_password(None)) for node in node_urls(settings.amqp_url))
        problems.append(f"RabbitMQ does not answer at {url} "
                        f"({error.__class__.__name__}): {HOW_TO_START['RabbitMQ']}")
    server = make_url(settings.postgres_url).set(drivername="postgresql", database="postgres")
    try:
        connection = await asyncpg.connect(server.render_as_string(hide_password=False),
                                           timeout=5)
        await connection.close()
    except Exception as error:
        problems.append(f"PostgreSQL does not answer at {server.render_as_string()} "
                        f"({error.__class__.__name__}): {HOW_TO_START['PostgreSQL']}")
    return problems


def _ensure_admin_key(settings: ServiceSettings) -> str:
    """A newcomer can try the API at once: without OPD_ADMIN_KEY, make one and keep it."""
    if settings.admin_key:
        return settings.admin_key.get_secret_value()
    key = new_key()
    with ENV_FILE.open("a") as env:
        env.write(f"OPD_ADMIN_KEY={key}\n")
    print(f"Generated an admin API key into {ENV_FILE} (git-ignored).")
    return key


def main() -> int:
    settings = ServiceSettings()
    problems = asyncio.run(_check(settings))
    for problem in problems:
        print(f"make run: {problem}", file=sys.stderr)
    if problems:
        print("make run: set OPD_AMQP_URL / OPD_POSTGRES_URL to use other servers.",
              file=sys.stderr)
        return 1
    key = _ensure_admin_key(settings)
    print("OPD token system starting (Ctrl-C stops every service):")
    print(f"  admin API key    {key}")
    print(f"                   curl -H 'Authorization: Bearer {key}' ...")
    print("  booking gateway  http://127.0.0.1:8000/docs")
    print("  queue view       http://127.0.0.1:8001/docs   kiosk: http://127.0.0.1:8001/display")
    print("  analytics        http://127.0.0.1:8002/docs")
    print("  interop          http://127.0.0.1:8004/fhir/metadata   (FHIR R4, ABDM Scan & Share)")
    print("  notifier         http://127.0.0.1:8005/docs   (what patients were told)")
    print("  allocator        http://127.0.0.1:8003/readyz (health only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
