from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opd_shared.settings import BatchConsumerSettings, batch_max_field, batch_window_field

__all__ = ["AllocatorSettings"]


class AllocatorSettings(BatchConsumerSettings):
    service: ClassVar[str] = "allocator"

    # Commands: a booking's round trip waits for its batch, so the window is short.
    batch_max: int = batch_max_field(100)
    batch_window_seconds: float = batch_window_field(0.002)
    # 2, not 4: on the 2-core box at 1,000 bookings/s offered, p99 117-160 ms against
    # 207-267 with 4 (3 alternated 20 s probes each, quiet machine), 50/s the same, 2,000/s
    # deciding more (BENCHMARKS.md, ninth session). Fewer lanes make larger rounds.
    commit_lanes: int = Field(
        2, ge=1, le=256,
        description="Transactions in flight at once; each lane decides the batches waiting "
                    "in its share of this allocator's partitions in one transaction at a time",
    )
    schedule_cache_doctors: int = Field(
        256, ge=1, description="Doctors' schedules kept in memory between batches (LRU)"
    )
    schedule_cache_tokens: int = Field(
        100_000, ge=1,
        description="Tokens those schedules may hold together, about 2 KB of memory each. "
                    "Keep it above the day's busy doctors' tokens (a large hospital books "
                    "12-15,000 a day): a schedule let go is read again on its next command, "
                    "and below the working set that costs far more CPU than it saves memory",
    )
    sweep_interval_seconds: float = Field(
        1.0, gt=0, description="How often stray outbox rows are sent")
    allocator_index: int = Field(0, ge=0, description="This process's number among the allocators")
    allocator_count: int = Field(1, ge=1, description="How many allocators share the partitions")
    standby_delay_seconds: float = Field(
        5.0, ge=0, description="How long to wait before standing by for others' partitions")
    fairness_max_overtakes: int = Field(
        10, ge=0, description="A waiting patient is overtaken at most this often; 0 turns it off"
    )

    bookings_per_phone_per_day: int = Field(
        5, ge=0, le=1000,
        description="Tokens one phone number may book with one doctor in one day (cancelled "
                    "ones count; emergencies do not); 0 turns the limit off",
    )

    def prefers(self, queue: int) -> bool:
        """Allocator i of K takes the command queues q % K == i first, and stands by for the
        rest (with one queue per partition, the partitions p % K == i)."""
        return queue % self.allocator_count == self.allocator_index % self.allocator_count
