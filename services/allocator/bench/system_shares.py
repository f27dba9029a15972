"""Where the allocator's CPU goes in the running system, at the load the system bench offers:
the round, or the messaging around it.

`uv run --no-sync python services/allocator/bench/system_shares.py [--rate 1000]
[--duration 20] [--seconds 12] [--keep FILE]`

Runs the short system probe (`python -m opd_ops.bench --rates R --duration D --runs 1
--no-hot --no-floor`), waits for its load generator (`opd_ops.bench.load`, so neither the
services' start-up, which compiles every module, nor the setup's registrations is
sampled), then records the allocator with py-spy (`--native`, 200 Hz) for `--seconds`, and
reads the process's CPU and its wait for a CPU (/proc: stat, schedstat) over the same
seconds.

Why the second reading: py-spy samples a thread that is runnable but not running too, and
on this shared 2-core machine the allocator waits for a CPU most of the time. A preempted
process is usually caught in the system call that woke another process (a loopback
`write` to PostgreSQL or the broker), so those samples are counted apart
("in write/epoll"), and the shares of the others are the on-CPU picture. perf (on-CPU
only) agreed on the order of things: the kernel 11% of the process's CPU, the
interpreter 72%, pydantic-core 7% (one 10 s recording at 1,000/s offered).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(  # `uv tool install py-spy`
    Path.home() / ".local/share/uv/tools/py-spy/bin/py-spy")
ALLOCATOR = "allocator.main:create_app"
LOAD = "opd_ops.bench.load"

# A sample's part: the first of these found in its stack, most specific first.
PARTS = [
    ("the round: deciding", ("decide_batch",), ("SqlUnitOfWork.commit",)),
    ("the round: commit", ("SqlUnitOfWork.commit",), ()),
    ("the round: start (BEGIN, start_round)", ("SqlUnitOfWork.__aenter__",), ()),
    ("the round: the rest (lane, patience)", ("GroupCommit.decide",), ()),
    ("the relay's database call", ("relay_on", "relay_outbox"), ("Exchange.publish",)),
    ("events published (aio-pika)", ("Exchange.publish",), ()),
    ("replies (ReplyBatcher)", ("ReplyBatcher._flush",), ()),
    ("the consumer: decode", ("BatchConsumer._decode_or_park",), ()),
    ("the consumer: handle (split, answer, metrics)", ("BatchConsumer._outcomes",), ()),
    ("the consumer: acks", ("Subscription.flush",), ()),
    ("the consumer: gathering", ("BatchConsumer._run",), ()),
    ("aiormq: frames read", ("Connection.__reader", "Channel._reader"), ()),
    ("aiormq: frames written", ("Connection.__writer",), ()),
    ("SQLAlchemy in a greenlet (the round's)", ("greenlet",), ()),
    ("asyncpg: results read (the round's, the relay's)", ("CoreProtocol", "record_dealloc"), ()),
    ("the consumer: the rest", ("BatchConsumer.",), ()),
    ("uvicorn's main loop (its ticks)", ("Server.main_loop",), ()),
    ("uvloop: socket reads and callbacks", ("uv__stream_io", "Loop__on_idle"), ()),
]
PREEMPTED = ("write", "epoll_pwait")  # leaves a preempted process is usually caught in


def _pid(pattern: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
        pids = [int(p) for p in found.stdout.split()]
        if pids:
            return min(pids)
        time.sleep(0.2)
    raise SystemExit(f"no process matching {pattern!r}")


def _cpu(pid: int) -> tuple[float, float, float]:
    """User and system CPU seconds, and seconds spent runnable but waiting for a CPU."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = 100.0  # USER_HZ
    wait_ns = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
    return int(stat[11]) / ticks, int(stat[12]) / ticks, wait_ns / 1e9


def _part(frames: list[str]) -> str:
    names = [re.sub(r" \(.*", "", frame) for frame in frames]
    if names and names[-1] in PREEMPTED:
        return "in write/epoll (mostly waiting for a CPU)"
    for part, marks, unless in PARTS:
        if any(any(mark in name for name in names) for mark in marks) and not any(
                u in names for u in unless):
            return part
    return "other"


def shares(raw: Path) -> collections.Counter[str]:
    counted: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        if line.strip():
            stack, count = line.rsplit(" ", 1)
            counted[_part(stack.split(";"))] += int(count)
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=12, help="sampled, from the load's 2nd s")
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw samples here")
    args = parser.parse_args()
    raw = args.keep or Path(tempfile.mkdtemp()) / "allocator.raw"
    bench = subprocess.Popen(
        [sys.executable, "-m", "opd_ops.bench", "--rates", str(args.rate), "--duration",
         str(args.duration), "--runs", "1", "--no-hot", "--no-floor"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    allocator = _pid(ALLOCATOR, deadline)
    _pid(LOAD, deadline)
    time.sleep(2)  # the load's first second: connections opening
    before = _cpu(allocator)
    subprocess.run([PY_SPY, "record", "--native", "-r", "200", "-d", str(args.seconds),
                    "-p", str(allocator), "-o", str(raw), "--format", "raw"],
                   capture_output=True, check=True)
    after = _cpu(allocator)
    output, _ = bench.communicate()
    user, system, waited = (b - a for a, b in zip(before, after, strict=True))
    print(output.splitlines()[6] if len(output.splitlines()) > 6 else output)
    print(f"allocator over the sampled {args.seconds} s: user {user:.2f} s, system "
          f"{system:.2f} s ({100 * (user + system) / args.seconds:.0f}% of a core), "
          f"runnable but waiting for a CPU {waited:.2f} s")
    counted = shares(raw)
    total = sum(counted.values())
    on_cpu = total - counted["in write/epoll (mostly waiting for a CPU)"]
    print(f"{total} samples; share of all, and of those not in write/epoll:")
    for part, n in counted.most_common():
        of_cpu = "" if part.startswith("in write") else f"{100 * n / on_cpu:5.1f}%"
        print(f"  {100 * n / total:5.1f}%  {of_cpu:>6}  {part}")


if __name__ == "__main__":
    main()
