"""How partitions map onto command queues: every partition on exactly one queue, and with
one queue per partition the very names and keys of every earlier version."""

from __future__ import annotations

import pytest

from opd_contracts.topology import TopologyNames


@pytest.mark.parametrize("queues", [1, 3, 4, 16])
def test_every_partition_rides_exactly_one_queue_named_after_a_partition_of_its_own(queues):
    names = TopologyNames("opd", 16, queues)
    carried = sorted(p for q in range(names.command_queues) for p in names.partitions_of(q))
    assert carried == list(range(16))
    for partition in range(16):
        queue = names.queue_of(partition)
        assert partition in names.partitions_of(queue)
        assert names.partition_queue(partition) == f"opd.alloc.p{queue:02d}"
        assert queue in names.partitions_of(queue)  # the queue's key is one of its own


def test_no_queue_count_means_one_queue_per_partition_as_before():
    names = TopologyNames("opd", 16)
    assert names.command_queues == 16
    assert [names.partition_queue(p) for p in range(16)] == [
        f"opd.alloc.p{p:02d}" for p in range(16)]
    assert names.all_queue_names()[:16] == [f"opd.alloc.p{p:02d}" for p in range(16)]
