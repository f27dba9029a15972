"""What a batch handler says about each delivery it was handed, and how several items that
share one delivery add up to that delivery's outcome.

A handler answers every delivery explicitly, in the order it got them:

- `ACK`: done (or a repeat of something done): acked once the handler's transaction
  committed, which it has by the time it answers.
- `Retry(error)`: failed on this try for a reason of its own (not an outage: those are
  waited out before any outcome, `opd_shared.patience`). Queued again at the back with its
  attempt raised, and dead-lettered with the reason after its last (`opd_shared.retries`).
- `DeadLetter(reason)`: can never succeed (a body that is not a command or event): parked
  at once with the reason, which must name no patient data.

Several items in one delivery (message contract v2: one message may carry several commands
or events). The delivery stays the unit the broker acks, so its handler answers each item
and folds the answers with `of_items`: every item done is `ACK`; any item that can never
succeed parks the delivery at once, its reason naming which items (1-based) and why; else
any item that failed retries the whole delivery. Re-handling the items that were already
done is safe: each item carries its own id (a command's inbox row, an event's id), so they
come back as repeats and answer as before. Parking rather than retrying when one item is
hopeless keeps the others from being tried five times in vain; an operator's replay of
the parked copy turns its done items into repeats too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aio_pika.abc import AbstractIncomingMessage

__all__ = ["ACK", "Ack", "DeadLetter", "Delivery", "HandBack", "Outcome", "Retry",
           "answering", "of_items"]

T = TypeVar("T")


@dataclass(frozen=True)
class Delivery(Generic[T]):
    """What a handler is handed: the broker's message and its decoded item."""

    message: AbstractIncomingMessage
    item: T  # a command, an event (v2: an envelope of several)


class HandBack(Exception):
    """Raised by a handler that may not act on its deliveries now (another process owns
    their work): they all go back to the broker, and the consumer subscribes again."""


@dataclass(frozen=True)
class Ack:
    """Handled, and committed."""


@dataclass(frozen=True)
class Retry:
    """Failed on this try; `error` is what the retry count and the dead letter report."""

    error: BaseException


@dataclass(frozen=True)
class DeadLetter:
    """Never handleable: parked at once with `reason` (no patient data in it)."""

    reason: str


Outcome = Ack | Retry | DeadLetter
ACK = Ack()


def of_items(outcomes: Sequence[Outcome]) -> Outcome:
    """One delivery's outcome from those of the items it carries (see the module's doc)."""
    if not outcomes:
        return ACK  # nothing to do is done
    numbered = list(enumerate(outcomes, start=1))
    hopeless = [(n, o) for n, o in numbered if isinstance(o, DeadLetter)]
    if hopeless:
        reasons = "; ".join(f"item {n} of {len(outcomes)}: {o.reason}" for n, o in hopeless)
        return DeadLetter(reasons)
    failed = next((o for o in outcomes if isinstance(o, Retry)), None)
    return failed or ACK


def answering(deliveries: Sequence[Any], outcomes: Sequence[Outcome]) -> list[Outcome]:
    """`outcomes`, checked to be one outcome per delivery: a handler that answers otherwise
    has a bug, raised before anything is acked (its deliveries are then tried alone)."""
    answers = list(outcomes)
    if len(answers) != len(deliveries) or not all(
            isinstance(answer, Ack | Retry | DeadLetter) for answer in answers):
        raise TypeError(f"{answers!r} do not answer {len(deliveries)} deliveries")
    return answers
