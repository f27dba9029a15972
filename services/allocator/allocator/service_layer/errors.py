"""What deciding a batch reports besides replies: a partition fenced off, a command failed."""

from __future__ import annotations

__all__ = ["CommandFailed", "Fenced"]


class Fenced(Exception):
    """Another process owns this partition now; this one must not write."""


class CommandFailed(Exception):
    """One command failed, not as a refusal but as an error (a bug, bad data): the
    transaction is lost; `position` says whose fault it was."""

    def __init__(self, position: int, error: Exception) -> None:
        super().__init__(f"command {position} of the batch failed: {error!r}")
        self.position = position
        self.error = error
