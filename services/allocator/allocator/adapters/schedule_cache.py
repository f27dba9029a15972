"""Doctors' schedules kept in memory between batches by their partition's single writer.

A cached schedule is trusted only after its doctor's `last_event_seq` in the database is
found equal to the seq it was cached with: every change to a doctor's records emits an
event and so bumps that seq, whoever made it (a colleague's transfer, another process
after a failover). The cache is bounded by doctors and by tokens, least recently used first
out: a schedule holds every token of its doctor from today on (about 2 KB each in memory), so
a bound on doctors alone lets memory grow with the day's bookings. In a service process the
collector walks them once, then never again (frozen: allocator.main.freeze_cache_survivors;
a full collection over 60,000 cached tokens took ~280 ms, now ~4); a schedule let go of is
freed by reference counts all the same (tests/integration/allocator/test_allocator_gc_walk).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from allocator.domain.schedule import Schedule

__all__ = ["Cached", "ScheduleCache"]


@dataclass
class Cached:
    schedule: Schedule
    seq: int  # the doctor's last event seq, as far as this schedule reflects it


class ScheduleCache:
    def __init__(self, capacity: int, max_tokens: int | None = None) -> None:
        self.capacity = capacity
        self.max_tokens = max_tokens
        self._entries: OrderedDict[int, Cached] = OrderedDict()
        self._tokens: dict[int, int] = {}  # per doctor, as counted when last kept
        self.tokens = 0

    def __contains__(self, doctor_id: int) -> bool:
        return doctor_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, doctor_id: int) -> Cached | None:
        return self._entries.get(doctor_id)

    def drop(self, doctor_id: int) -> None:
        self._entries.pop(doctor_id, None)
        self.tokens -= self._tokens.pop(doctor_id, 0)

    def keep(self, doctor_id: int, entry: Cached) -> None:
        """Remember `entry` as the most recently used; forget the oldest beyond either bound
        (though never the one just kept)."""
        self.drop(doctor_id)
        self._entries[doctor_id] = entry
        self._tokens[doctor_id] = sum(len(s.tokens) for s in entry.schedule.slots.values())
        self.tokens += self._tokens[doctor_id]
        while len(self._entries) > 1 and (len(self._entries) > self.capacity or (
                self.max_tokens is not None and self.tokens > self.max_tokens)):
            self.drop(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._tokens.clear()
        self.tokens = 0
