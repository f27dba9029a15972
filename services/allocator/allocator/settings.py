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
    # 1: fewer lanes make larger rounds, so fewer transactions, reply and event messages.
    # 2 against 4 (ninth session): p99 at 1,000/s 117-160 ms against 207-267. 1 against 2
    # with one command queue (twelfth session, 20 s probes alternated, quiet 2-core box):
    # 1,000/s 1,589 and 1,487 us of CPU a booking against 1,667 and 1,619 (p99 49 and 81
    # ms against 55 and 41); 2,000/s 807 and 809 against 824 and 824 (p99 140 and 138
    # against 123 and 159); 50/s p99 10.4 ms against 14.6 (BENCHMARKS.md). A slow round
    # then delays every partition: more lanes for many allocator partitions on more cores.
    commit_lanes: int = Field(
        1, ge=1, le=256,
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
    deflate_events: bool = Field(
        True, description="Send events deflated (content_encoding deflate; docs/adr/0012). "
                          "Readers of this release read both; while older ones still consume, "
                          "set false (docs/OPERATIONS.md, \"Upgrades\")",
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
