"""Session-wide test infrastructure: a real RabbitMQ and PostgreSQL, isolated per session.

URLs come from TEST_AMQP_URL and TEST_DATABASE_URL (a PostgreSQL server URL, no database);
without them, RabbitMQ and PostgreSQL answering on their usual local ports are used; else a
Docker engine is asked for containers (testcontainers); without that either, the session
stops and says what to set. Every name a test creates (queues, exchanges,
databases) starts with a fresh namespace, and everything under it is removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TypeVar

import pytest
from hypothesis import settings as hypothesis_settings

from opd_ops.namespaces import remove_namespaces
from opd_shared.settings import ServiceSettings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
PARTITIONS = 4  # small, so a test touches every partition; production default is 16
# Several partitions to a queue, as deploy/k8s (16 in 2; one machine's default is 1), and
# several commit lanes (the default is 1): the tests take the layouts with more to go wrong.
COMMAND_QUEUES, COMMIT_LANES = 2, 2

# A property test's rare failure can be replayed: Hypothesis prints the `@reproduce_failure`
# blob of the example it found (the tests keep no example database). It does so by itself
# under CI (its "ci" profile, derandomized, kept here as the parent), not on a developer's
# machine, where a run once failed test_domain_kept_bounds and left nothing to replay.
hypothesis_settings.register_profile("opd", hypothesis_settings(), print_blob=True)
hypothesis_settings.load_profile("opd")


@dataclass
class Infra:
    amqp_url: str
    postgres_url: str  # postgresql+asyncpg://user@host:port, no database
    root: str
    namespaces: list[str] = field(default_factory=list)
    admin_key: str = field(default_factory=lambda: f"test-admin-{uuid.uuid4().hex}")
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def namespace(self, label: str) -> str:
        """A fresh namespace (queues, exchanges, databases) for one test or module."""
        # Numbered, not random: hundreds of namespaces per session, and two with one name
        # would share databases (four random hex digits met about once in 70 runs).
        name = f"{self.root}_{label}_{next(self._numbers)}"
        self.namespaces.append(name)
        return name

    def env(self, namespace: str) -> dict[str, str]:
        """Environment for a service process started by a test."""
        return {
            "OPD_AMQP_URL": self.amqp_url,
            "OPD_POSTGRES_URL": self.postgres_url,
            "OPD_NAMESPACE": namespace,
            "OPD_PARTITIONS": str(PARTITIONS),
            "OPD_COMMAND_QUEUES": str(COMMAND_QUEUES),
            "OPD_COMMIT_LANES": str(COMMIT_LANES),
            "OPD_ADMIN_KEY": self.admin_key,
        }

    def settings(self, cls: type[SettingsT], namespace: str, **overrides: object) -> SettingsT:
        values = {"amqp_url": self.amqp_url, "postgres_url": self.postgres_url,
                  "namespace": namespace, "partitions": PARTITIONS,
                  "command_queues": COMMAND_QUEUES, "commit_lanes": COMMIT_LANES,
                  "admin_key": self.admin_key, **overrides}
        return cls(_env_file=None, **values)  # type: ignore[call-arg]


_SESSION: dict[str, Infra] = {}  # the session's Infra, once a test has asked for it
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def _port_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _docker_answers() -> bool:
    with contextlib.suppress(Exception):
        import docker

        docker.from_env().ping()
        return True
    return False


@contextlib.contextmanager
def _services() -> Iterator[tuple[str, str]]:
    amqp, pg = os.environ.get("TEST_AMQP_URL"), os.environ.get("TEST_DATABASE_URL")
    amqp = amqp or (LOCAL_AMQP if _port_answers(5672) else None)
    pg = pg or (LOCAL_POSTGRES if _port_answers(5432) else None)
    if amqp and pg:
        yield amqp, pg
        return
    if not _docker_answers():
        pytest.exit(
            "No test services: set TEST_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/) and "
            "TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432), "
            "or start a Docker engine so testcontainers can run RabbitMQ and PostgreSQL.",
            returncode=2,
        )
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:3.13-alpine") as rabbit, PostgresContainer(
        "postgres:16-alpine", driver="asyncpg"
    ) as postgres:
        host, port = rabbit.get_container_host_ip(), rabbit.get_exposed_port(5672)
        server = postgres.get_connection_url().rsplit("/", 1)[0]
        yield amqp or f"amqp://guest:guest@{host}:{port}/", pg or server


async def _servers_work(amqp_url: str, postgres_url: str) -> None:
    """Both servers do real work, not merely accept connections: a broker in an alarm or a
    database that hangs would otherwise cost every test its whole timeout."""
    import aio_pika
    import asyncpg
    from sqlalchemy.engine import make_url

    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(exclusive=True)
        await channel.default_exchange.publish(aio_pika.Message(b"ping"), queue.name)
    server = make_url(postgres_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(server.render_as_string(hide_password=False), timeout=10)
    try:
        await conn.fetchval("SELECT 1", timeout=10)
    finally:
        await conn.close()


@pytest.fixture
def counts_in_one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limiter's clock, shifted so the test begins 5 s into one of its minutes.

    Why: `limits` aligns its windows to the wall clock's minutes and weighs the previous
    minute's count by what is left of the current one, so a test whose counts straddle a
    minute's end sees fewer than it made (two hits at :59.9 weigh 1.997 at :00.1) and its
    429 does not come: one CI run in a few saw that. Retry-After and the daily quota's date
    are worked out on the same clock (`counting.time`). Only the clock moves; the counts
    and the rules are the real ones.
    """
    import limits.aio.storage.memory as limiter_storage
    import limits.aio.strategies as limiter_strategies

    from opd_shared.access import counting

    shift = time.time() % 60 - 5
    clock = SimpleNamespace(time=lambda: time.time() - shift, monotonic=time.monotonic)
    for module in (limiter_storage, limiter_strategies, counting):
        monkeypatch.setattr(module, "time", clock)


@pytest.fixture(scope="session")
async def infra() -> object:
    with _services() as (amqp_url, postgres_url):
        try:
            await asyncio.wait_for(_servers_work(amqp_url, postgres_url), 30)
        except Exception as error:  # any failure means the same: stop here
            pytest.exit(f"The test servers do not work ({error!r}): RabbitMQ at {amqp_url}, "
                        f"PostgreSQL at {postgres_url}", returncode=2)
        state = Infra(amqp_url, postgres_url, root=f"t{uuid.uuid4().hex[:8]}")
        _SESSION["infra"] = state
        yield state
        await remove_namespaces(amqp_url, postgres_url, state.namespaces, PARTITIONS,
                                f"{state.root}%")



@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """When a module's last test is torn down (its module fixtures included), its
    namespaces go, not at the session's end: a session would otherwise hold several hundred
    quorum queues by its last modules, and a RabbitMQ stopped and started under that many
    (tests/faults) was seen to come back accepting connections it never answered."""
    result = yield
    infra = _SESSION.get("infra")
    if infra and infra.namespaces and (nextitem is None or nextitem.module is not item.module):
        made, infra.namespaces[:] = list(infra.namespaces), []
        loop = asyncio.new_event_loop()  # its own: the tests' loop is not running here
        try:
            for namespace in made:  # `_` escaped: `..._alloc_1_%` must not match `_alloc_12_`
                loop.run_until_complete(remove_namespaces(
                    infra.amqp_url, infra.postgres_url, [namespace], PARTITIONS,
                    namespace.replace("_", "\\_") + "\\_%"))
        finally:
            loop.close()
    return result
