"""Doctors' schedules kept in memory between batches by their partition's single writer.

A cached schedule is trusted only after its doctor's `last_event_seq` in the database is
found equal to the seq it was cached with: every change to a doctor's records emits an
event and so bumps that seq, whoever made it (a colleague's transfer, another process
after a failover). The cache is bounded, least recently used first out.
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
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, Cached] = OrderedDict()

    def __contains__(self, doctor_id: int) -> bool:
        return doctor_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, doctor_id: int) -> Cached | None:
        return self._entries.get(doctor_id)

    def drop(self, doctor_id: int) -> None:
        self._entries.pop(doctor_id, None)

    def keep(self, doctor_id: int, entry: Cached) -> None:
        """Remember `entry` as the most recently used; forget the oldest beyond capacity."""
        self._entries[doctor_id] = entry
        self._entries.move_to_end(doctor_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
