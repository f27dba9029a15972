"""The SSE event id: which version of each doctor's board a display has shown.

`20300115:12.40,13.22` means: boards of 15 Jan 2030, doctor 12 as of its 40th applied
event, doctor 13 as of its 22nd. The browser sends it back as `Last-Event-ID` when it
reconnects, to any queue-view process; boards whose count differs are sent again, so a
display misses nothing and repeats nothing. "Differs", not "is higher": after a rebuild
counts start again from zero, and those boards must be re-sent too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["Cursor"]


@dataclass(frozen=True)
class Cursor:
    date: dt.date
    counts: dict[int, int] = field(default_factory=dict)

    def encode(self) -> str:
        shown = ",".join(f"{doctor}.{count}" for doctor, count in sorted(self.counts.items()))
        return f"{self.date:%Y%m%d}:{shown}"

    @classmethod
    def decode(cls, raw: str | None, date: dt.date) -> Cursor:
        """The cursor `raw` names if it is for `date`; else nothing shown yet."""
        try:
            day, _, shown = (raw or "").partition(":")
            if dt.datetime.strptime(day, "%Y%m%d").date() != date:
                return cls(date)
            pairs = (item.split(".") for item in shown.split(",") if item)
            return cls(date, {int(doctor): int(count) for doctor, count in pairs})
        except ValueError:  # a malformed id is a fresh start, not an error
            return cls(date)

    def stale(self, doctor_ids: list[int], current: dict[int, int]) -> list[int]:
        """Doctors whose board changed since shown (or was never shown)."""
        return [d for d in doctor_ids if self.counts.get(d) != current.get(d, 0)]

    def advanced(self, selected: list[int], sent: list[int], current: dict[int, int]) -> Cursor:
        """After sending the boards of `sent`; doctors no longer selected are forgotten."""
        kept = {d: c for d, c in self.counts.items() if d in selected}
        return Cursor(self.date, {**kept, **{d: current.get(d, 0) for d in sent}})
