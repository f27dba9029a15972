"""Items per message on each hop during a run, read from the services' own
`opd_message_items` histograms: the broker's cost is per message, so this says how much a
run's batching saved (and, near 1, that it did not happen)."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from opd_ops.processes import System

__all__ = ["HOPS", "Sent", "items_per_message", "sent"]

HOPS = {"command": "gateway", "reply": "allocator", "event": "allocator"}
Sent = dict[str, tuple[float, float]]  # hop: (messages, items) so far


async def sent(system: System) -> Sent:
    """Messages and items each hop's sender has sent so far."""
    found: Sent = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for service in set(HOPS.values()):
            page = (await client.get(f"{system[service].url}/metrics")).text
            for family in text_string_to_metric_families(page):
                if family.name != "opd_message_items":
                    continue
                for sample in family.samples:
                    hop = sample.labels.get("hop", "")
                    if HOPS.get(hop) != service:
                        continue
                    messages, items = found.get(hop, (0.0, 0.0))
                    if sample.name.endswith("_count"):
                        messages = sample.value
                    elif sample.name.endswith("_sum"):
                        items = sample.value
                    found[hop] = (messages, items)
    return found


def items_per_message(before: Sent, after: Sent) -> dict[str, float]:
    """The mean items per message of each hop between two readings."""
    means = {}
    for hop in HOPS:
        (messages_then, items_then), (messages_now, items_now) = (
            reading.get(hop, (0.0, 0.0)) for reading in (before, after))
        messages = messages_now - messages_then
        means[hop] = (items_now - items_then) / messages if messages else float("nan")
    return means
