"""Removing everything a namespace made: its queues, exchanges and databases."""

from __future__ import annotations

import aio_pika
import asyncpg

from opd_ops.dsn import server_dsn
from opd_shared.topology import Topology

__all__ = ["remove_namespaces"]


async def remove_namespaces(amqp_url: str, postgres_url: str, namespaces: list[str],
                            partitions: int, databases_like: str) -> None:
    """Delete each namespace's queues and exchanges, and every database named like
    `databases_like` (an SQL LIKE pattern)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for namespace in namespaces:
            topology = Topology(namespace, partitions)
            channel = await connection.channel()
            for queue in topology.all_queue_names():
                await channel.queue_delete(queue)
            for exchange in topology.all_exchange_names():
                await channel.exchange_delete(exchange)
    server = server_dsn(postgres_url)
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1",
                                databases_like)
        for row in rows:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
