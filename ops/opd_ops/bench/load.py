"""The load generator, a process of its own: open-loop bookings at a fixed rate.

Open loop means each request leaves at its scheduled time whatever happened to earlier
ones, and its latency counts from that time, so a slow system cannot hide its queueing
(no coordinated omission). A lean keep-alive client (`lean_http`) on uvloop keeps the
generator's own CPU small: it shares the machine with what it measures. It
never polls the read models: when each booking showed there is read from their databases
afterwards (`opd_ops.bench.visibility`), so measuring adds no load to what is measured.
Reads a JSON plan on stdin, writes a JSON result on stdout.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field

import httptools
import uvloop

from opd_ops.bench.lean_http import LeanClient

CONNECTIONS = 4096  # two seconds of 2,000/s; the file limit here is 20,000


@dataclass
class Result:
    # Each answer's due time (seconds from the start), latency from it (ms) and status (0:
    # none): the run's figures and its timeline (opd_ops.bench.timeline) are read from them.
    answers: list[tuple[float, float, int]] = field(default_factory=list)
    started_at: float = 0.0  # time.monotonic() at the start: the sampler's clock too
    statuses: dict[str, int] = field(default_factory=dict)
    booked: list[dict] = field(default_factory=list)  # token id, number, slot, time of each 201
    refused_keys: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    longest_hold_ms: float = 0.0  # the generator's own (LoopWatch): its answers waited too


async def _book(client: LeanClient, plan: dict, n: int, due: float, result: Result) -> None:
    slots = plan["slots"]
    slot = slots[n % len(slots)]
    key = uuid.uuid4().hex
    # Each slot's bookings come from every source in turn, as a morning's do: priority and
    # follow-up patients queue ahead of the others (the fairness rule's work). With the
    # source chosen by `n % 4` alone, 200 slots each saw one source only.
    source = ("online", "walk_in", "follow_up", "priority")[(n // len(slots)) % 4]
    body = {"patient_name": f"bench {n}", "doctor_id": slot["doctor_id"], "slot_id": slot["id"],
            "source": source}
    try:
        answer = await client.post("/api/v1/tokens", body, {"Idempotency-Key": key})
        status = answer.status
    except (OSError, TimeoutError, httptools.HttpParserError):
        # Counted as status 0: a request the system never answered is an outcome too.
        status = 0
    result.answers.append((due - result.started_at, (time.monotonic() - due) * 1000, status))
    result.statuses[str(status)] = result.statuses.get(str(status), 0) + 1
    if status == 201:
        payload = json.loads(answer.body)
        result.booked.append({"id": payload["id"], "number": payload["token_number"],
                              "slot_id": payload["slot_id"], "key": key,
                              "at": time.time()})  # wall clock: the databases' clock too
    elif status == 409:
        result.refused_keys.append(key)


class LoopWatch:
    """How late the generator's event loop ran a timer: the longest it was held, by its
    own work or by waiting for a CPU. While it is held no answer is read and no request
    leaves, so every latency then includes the hold, which is the generator's and not the
    system's; the run reports it beside its figures."""

    PERIOD_S = 0.01  # ~100 wake-ups a second, against the requests' 2,000 or more at 1,000/s

    def __init__(self) -> None:
        self.longest_s = 0.0

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.PERIOD_S
            await asyncio.sleep(self.PERIOD_S)
            self.longest_s = max(self.longest_s, loop.time() - due)


async def run(plan: dict) -> Result:
    result, watch = Result(), LoopWatch()
    total = int(plan["rate"] * plan["duration_s"])
    # Enough connections that no request waits for one: with 256, the gateway's 256
    # admitted requests held them all, and the requests it would have refused at once
    # queued here for seconds (at 1,000/s offered, p50 8.7 s).
    client = LeanClient(plan["gateway"], {"Authorization": f"Bearer {plan['key']}"},
                        plan.get("connections", CONNECTIONS))
    cpu_start, start = time.process_time(), time.monotonic()
    result.started_at = start
    watching = asyncio.create_task(watch.watch())
    try:
        # A task group holds only the requests still in flight and waits for those at the
        # end. The list of every request's task it replaced was gathered at the end in one
        # step: 60,000 done callbacks at once held the loop 100-300 ms while the last
        # requests' answers waited unread, and the last half-second of nearly every 60 s
        # run was its slowest (BENCHMARKS.md, seventeenth session).
        async with asyncio.TaskGroup() as requests:
            for n in range(total):
                due = start + n / plan["rate"]
                if (wait := due - time.monotonic()) > 0.002:
                    await asyncio.sleep(wait)
                requests.create_task(_book(client, plan, n, due, result))
        result.elapsed_s = time.monotonic() - start
    finally:
        watching.cancel()
        client.close()
    result.cpu_s = time.process_time() - cpu_start
    result.longest_hold_ms = watch.longest_s * 1000
    return result


def collector_off() -> None:
    """No garbage collection in the generator while it runs: its pauses are not the
    system's latency. With the collector on, its full collections (walking the run's
    growing lists of results) held back every request due meanwhile, at the same seconds of
    every 60 s run at 1,000/s offered (31, 40 and 55 s: the generator's CPU doubled for a
    quarter second and the requests due then came 100-170 ms late; a timeline of two runs,
    BENCHMARKS.md, twelfth session). A run is short and what it keeps it keeps to the end;
    a request's own objects are freed by their reference counts."""
    gc.freeze()  # what import built
    gc.disable()


def main() -> None:
    plan = json.load(sys.stdin)
    collector_off()
    result = uvloop.run(run(plan))
    json.dump(asdict(result), sys.stdout)


if __name__ == "__main__":
    main()
