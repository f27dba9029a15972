"""A refusal as an exception: the problem details the service answered, and for the refusals
a client acts on (a full slot, a rate or quota, a service away) a class of its own."""

from __future__ import annotations

from opd_client.models import ProblemBody, SlotRecord

__all__ = ["Problem", "RateLimited", "SlotFull", "Unavailable"]


class Problem(Exception):
    def __init__(self, body: ProblemBody, retry_after: float | None = None) -> None:
        super().__init__(f"{body.status} {body.code}: {body.detail}")
        self.body, self.retry_after = body, retry_after

    @property
    def code(self) -> str:
        return self.body.code

    @property
    def status(self) -> int:
        return self.body.status


class SlotFull(Problem):
    """409 slot_full: `alternatives` are open slots with room, the same doctor's first."""

    @property
    def alternatives(self) -> list[SlotRecord]:
        return self.body.alternatives


class RateLimited(Problem):
    """429: over the key's rate or daily quota; `retry_after` says when to try again."""


class Unavailable(Problem):
    """503: nothing was accepted; repeat with the same Idempotency-Key after `retry_after`."""


def problem_of(body: ProblemBody, retry_after: float | None) -> Problem:
    if body.code == "slot_full":
        return SlotFull(body, retry_after)
    kind = {429: RateLimited, 503: Unavailable}.get(body.status, Problem)
    return kind(body, retry_after)
