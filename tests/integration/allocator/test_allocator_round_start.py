"""A round fences its partitions and reads its first facts in one call (`start_round`), yet
its reads still come after the lock: a round that had to wait for the lock sees what the
lock's holder committed meanwhile."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import text

from opd_contracts import ErrorCode, Reply

from .desk import envelope


async def test_a_round_that_waited_for_the_lock_sees_what_its_holder_committed(desk, caplog):
    doctor = await desk.doctor(partition=3)
    slot = await desk.slot(doctor)
    decider = await desk.decider(3)
    booking = envelope(desk.booking(slot))
    decided = Reply(command_id=booking.command_id, ok=False, code=ErrorCode.SLOT_FULL,
                    detail="decided by the lock's previous holder")

    async with desk.engine.connect() as holder:
        await holder.execute(text(
            "SELECT 1 FROM partition_owners WHERE partition = 3 FOR UPDATE"))
        waiting = asyncio.create_task(decider.decide([booking]))
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the round waits for the partition's lock"
        # The holder decides the same command (a previous owner's last batch, say).
        await holder.execute(text(
            "INSERT INTO inbox (command_id, fingerprint, reply, decided_at)"
            " VALUES (:c, :f, CAST(:r AS jsonb), :t)"),
            {"c": booking.command_id, "f": booking.fingerprint,
             "r": decided.model_dump_json(), "t": dt.datetime.now(dt.UTC)})
        await holder.commit()

    assert await asyncio.wait_for(waiting, 10) == [decided]  # answered, not decided again
    assert await desk.sql("SELECT current_count FROM slots WHERE id = :s", s=slot["id"]) == 0
    # Seen by the round's own reads: not decided anew, refused at commit and decided again.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
