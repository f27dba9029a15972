"""The load generator: it collects no garbage while it runs, waits for every request still
in flight at the end, and reports how long its own event loop was held (each a pause that
would otherwise be counted as the system's latency)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import uvloop

from opd_ops.bench.load import LoopWatch


def test_the_generator_runs_without_the_garbage_collector():
    code = ("import gc\n"
            "from opd_ops.bench.load import collector_off\n"
            "assert gc.isenabled()\n"
            "collector_off()\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    assert done.stdout.split() == ["False", "True"]


def test_a_held_loop_is_reported_as_long_as_it_was_held():
    async def hold_once() -> float:
        watch = LoopWatch()
        watching = asyncio.create_task(watch.watch())
        await asyncio.sleep(3 * LoopWatch.PERIOD_S)
        time.sleep(0.2)  # noqa: ASYNC251 - the point: the loop held, no timer runs meanwhile
        await asyncio.sleep(3 * LoopWatch.PERIOD_S)
        watching.cancel()
        return watch.longest_s

    assert 0.19 <= uvloop.run(hold_once()) < 5.0


class _SlowTokens(asyncio.Protocol):
    """A stand-in gateway: every POST is answered 201 with a token, 50 ms later."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            body, self.buffer = rest[:length], rest[length:]
            slot = json.loads(body)["slot_id"]
            answer = json.dumps({"id": f"t-{id(body)}", "token_number": 1,
                                 "slot_id": slot}).encode()
            asyncio.get_running_loop().call_later(0.05, self.transport.write, (
                b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)))


def test_a_run_waits_for_every_request_still_in_flight_when_the_last_one_leaves():
    async def one_run() -> dict:
        server = await asyncio.get_running_loop().create_server(_SlowTokens, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        plan = {"gateway": f"http://127.0.0.1:{port}", "key": "k", "rate": 400.0,
                "duration_s": 0.5, "slots": [{"doctor_id": "d", "id": "s"}]}
        async with server:  # the generator as the bench starts it: a process, plan on stdin
            generator = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "opd_ops.bench.load", stdin=subprocess.PIPE,
                stdout=subprocess.PIPE)
            out, _ = await asyncio.wait_for(generator.communicate(json.dumps(plan).encode()),
                                            timeout=30)
        return json.loads(out)

    result = uvloop.run(one_run())

    # the last requests left ~50 ms before their answers came: the run waited for them
    assert len(result["answers"]) == len(result["booked"]) == 200
    assert result["statuses"] == {"201": 200}
    assert isinstance(result["longest_hold_ms"], float)  # opd_ops.bench.run reads it
