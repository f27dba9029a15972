"""One round's commands decided so that each answers for itself.

A command that fails (not a refusal: an error) is set aside with its error and the round
decided again without it. When the commit itself fails, no command can be blamed: each is
then decided in a transaction of its own. Transient failures are raised: the group commit
waits them out (opd_shared.patience) and decides the round again as a whole, a round
PostgreSQL aborted as a deadlock (two lanes moving patients into each other's partitions)
included.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from allocator.service_layer.batch import Item
from allocator.service_layer.errors import CommandFailed
from opd_contracts import Reply

__all__ = ["Result", "Transaction", "settle"]

log = logging.getLogger(__name__)
T = TypeVar("T")
Result = Reply | Exception  # a reply, or the error that stopped that command alone
Transaction = Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]
Transient = Callable[[BaseException], bool]


async def settle(transaction: Transaction, items: Sequence[Item],
                 is_transient: Transient) -> list[Result]:
    """A result per item, in order; raises only what `is_transient` says to try again."""
    results: dict[int, Result] = {}
    pending = list(range(len(items)))
    while pending:
        try:
            replies = await transaction([items[i] for i in pending])
        except CommandFailed as failed:
            culprit = pending.pop(failed.position)
            results[culprit] = _failed(items[culprit], failed.error)
            continue
        except Exception as error:
            if is_transient(error):
                raise
            log.exception("a transaction of %d commands failed to commit; deciding each "
                          "alone", len(pending))
            results.update(await _one_by_one(transaction, items, pending, is_transient))
            break
        results.update(zip(pending, replies, strict=True))
        break
    return [results[i] for i in range(len(items))]


async def _one_by_one(transaction: Transaction, items: Sequence[Item], positions: list[int],
                      is_transient: Transient) -> dict[int, Result]:
    results: dict[int, Result] = {}
    for i in positions:
        try:
            [results[i]] = await transaction([items[i]])
        except Exception as error:
            if is_transient(error):
                raise
            cause = error.error if isinstance(error, CommandFailed) else error
            results[i] = _failed(items[i], cause)
    return results


def _failed(item: Item, error: Exception) -> Exception:
    log.error("partition %d: command %s failed", item[0], item[1].command_id, exc_info=error)
    return error
