"""Connections to a RabbitMQ cluster: several node URLs, each connection attempt to the next.

`OPD_AMQP_URL` takes one URL or several, comma-separated, one per node of a cluster
(`amqp://opd:pw@rmq1:5672/,amqp://opd:pw@rmq2:5672/`; a comma inside a password is written
`%2C`). aio-pika connects to one URL only (aio-pika issue #141), so a service whose node
stops would retry that node until it came back. Here each connection attempt goes to the
next node in turn, starting at a random one so that processes spread over the nodes: when a
node stops, its clients are on another within one reconnect interval (about one second
here) and their robust channels, consumers and declarations are restored there.

How: aio-pika's `Connection.connect` reads `self.url` once per attempt (checked on aio-pika
10.2.1, the locked version; `tests/faults/test_cluster_*.py` fail if that changes), so
`url` here is a property that hands out the next node each time it is read while no
connection is up, and the current one otherwise.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika import RobustConnection
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from yarl import URL

__all__ = ["NodeRotatingConnection", "connect", "connect_robust", "node_urls"]

RECONNECT_INTERVAL_SECONDS = 1.0  # aio-pika's default is 5: a node's clients waited that long


def node_urls(amqp_url: str) -> list[str]:
    """The node URLs of an `OPD_AMQP_URL` (one or several, comma-separated)."""
    urls = [part.strip() for part in amqp_url.split(",") if part.strip()]
    if not urls:
        raise ValueError("OPD_AMQP_URL names no broker")
    return urls


class NodeRotatingConnection(RobustConnection):
    """A robust connection over several nodes: every attempt goes to the next one."""

    def __init__(self, url: URL, loop: asyncio.AbstractEventLoop | None = None,
                 *, nodes: Sequence[URL] = (), first: int = 0, **kwargs: Any) -> None:
        self._nodes = list(nodes) or [URL(url)]
        self._turn = first % len(self._nodes)
        self._current = self._nodes[self._turn]
        super().__init__(url, loop=loop, **kwargs)

    @property
    def url(self) -> URL:
        connected = getattr(self, "connected", None)
        if connected is None or connected.is_set():
            return self._current
        self._current = self._nodes[self._turn % len(self._nodes)]
        self._turn += 1
        return self._current

    @url.setter
    def url(self, value: URL) -> None:
        """aio-pika sets it at construction and when a password is updated (all nodes take
        the same credentials)."""
        nodes = getattr(self, "_nodes", [])
        self._nodes = [node.with_password(value.password) for node in nodes] or [value]

    def __str__(self) -> str:
        return str(self._current.with_password("******") if self._current.password
                   else self._current)


async def connect_robust(amqp_url: str, **kwargs: Any) -> AbstractRobustConnection:
    """A robust connection to whichever node answers first, moving to another when it goes.

    The first attempt tries every node once, each at most `timeout` seconds (default 10),
    and fails as aio-pika does when none answers."""
    nodes = [URL(url) for url in node_urls(amqp_url)]
    kwargs.setdefault("reconnect_interval", RECONNECT_INTERVAL_SECONDS)
    timeout = kwargs.pop("timeout", 10)
    error: Exception | None = None
    start = random.randrange(len(nodes))
    for tried in range(len(nodes)):
        connection = NodeRotatingConnection(nodes[0], nodes=nodes, first=start + tried,
                                            **kwargs)
        try:
            await connection.connect(timeout=timeout)
            return connection
        except (TimeoutError, ConnectionError, OSError, aio_pika.exceptions.AMQPError) as failed:
            error = failed
            await connection.close()
    assert error is not None
    raise error


async def connect(amqp_url: str, **kwargs: Any) -> AbstractConnection:
    """A plain connection (operators' tools, preflight) to the first node that answers."""
    error: Exception | None = None
    for url in node_urls(amqp_url):
        try:
            return await aio_pika.connect(url, **kwargs)
        except (TimeoutError, ConnectionError, OSError, aio_pika.exceptions.AMQPError) as failed:
            error = failed
    assert error is not None
    raise error
