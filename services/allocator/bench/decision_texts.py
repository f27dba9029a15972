"""Every event's and reply's JSON, as a round hands them to its write statement (the
outbox, the inbox) and to the reply message, for a fixed story of commands (bookings with
fairness, a refusal with alternatives, an emergency bump, the quota, repeats, status
changes, a call, a move, a delay, a resize) with ids, tickets and the clock fixed.

`uv run python services/allocator/bench/decision_texts.py > a.txt` on two revisions, then
`cmp`: a change meant to leave the contracts' JSON alone must print the same bytes.
"""
# ruff: noqa: E501, E401, E402, E701, F405, F403, I001, ANN
import asyncio, datetime as dt, random, secrets, uuid
from zoneinfo import ZoneInfo
rng = random.Random(7)
uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
secrets.token_urlsafe = lambda n=16: f"{rng.getrandbits(88):022x}"
from scratch import scratch_database
from sqlalchemy.ext.asyncio import async_sessionmaker
from allocator.adapters.ownership import claim
from allocator.adapters.unit_of_work import SqlTransactions
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.policy import Policy
from allocator.service_layer.batch import decide_batch
from allocator.service_layer.handlers import HANDLERS
from opd_contracts import *
from opd_contracts import ReplyBatch, ResizeSlot
P = 16
NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
D1, D2 = dt.date(2030, 3, 4), dt.date(2030, 3, 5)

async def main():
    out = []
    async with scratch_database({"pool_size": 4}, partitions=P) as (_settings, engine):
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        epochs = {p: await claim(sessions, p, "proof") for p in range(P)}
        tx = SqlTransactions(sessions, P, Policy(FairnessPolicy(1), bookings_per_phone_per_day=2), 100)
        n = [0]
        async def run(*commands, again=None):
            envs = again or [CommandEnvelope(command_id=uuid.uuid4(), issued_at=NOW, fingerprint=f"f{n[0]}-{i}", actor="key 1 (desk)", command=c) for i, c in enumerate(commands)]
            n[0] += 1
            items = [(c.command.partition(P), c) for c in envs]
            async with tx.begin(epochs, NOW, envs) as uow:
                replies = await decide_batch(uow, items, NOW, handlers=HANDLERS, is_transient=tx.is_transient)
            for e in uow.writes.events: out.append(f"event {e[0]} {e[1]} {e[2]}")
            for r in uow.writes.replies: out.append(f"inbox {r[1]} {r[2]}")
            out.append("batch " + ReplyBatch(replies=replies).model_dump_json())
            return replies, envs
        (a, b), _ = await run(RegisterDoctor(name="Dr A", specialization="Gen", room="1"), RegisterDoctor(name="Dr B", specialization="Gen"))
        da, db = a.result["id"], b.result["id"]
        (s1, s2, s3), _ = await run(OpenSlot(doctor_id=da, date=D1, start_time=dt.time(9), end_time=dt.time(10), max_capacity=3),
                           OpenSlot(doctor_id=da, date=D1, start_time=dt.time(10), end_time=dt.time(11), max_capacity=5),
                           OpenSlot(doctor_id=db, date=D1, start_time=dt.time(9), end_time=dt.time(10), max_capacity=5))
        (s4,), _ = await run(OpenSlot(doctor_id=da, date=D2, start_time=dt.time(9), end_time=dt.time(12), max_capacity=9))
        s1, s2, s3, s4 = (s.result["id"] for s in (s1, s2, s3, s4))
        books, envs = await run(*[BookToken(doctor_id=da, slot_id=s1, patient_name=f"Pé {i}", patient_phone="+91 98450 0000" + str(i % 2), source=src, notes="n\u2028" if i else None, channel="desk" if i == 1 else None, abha_number="12-3456-7890-1234" if i == 2 else None)
                               for i, src in enumerate(["online", "walk_in", "priority"])])
        await run(BookToken(doctor_id=da, slot_id=s1, patient_name="Full", source="online"),
                  BookToken(doctor_id=da, slot_id=s1, patient_name="Emer", source="walk_in", emergency=True),
                  BookToken(doctor_id=da, slot_id=s2, patient_name="Q", patient_phone="+91 98450 00000", source="follow_up"))
        await run(again=envs)  # repeats, answered from the inbox
        t = [r.result["id"] for r in books]
        await run(ChangeTokenStatus(token_id=t[0], status="checked_in"), CancelToken(token_id=t[1], reason="r"),
                  CallNext(doctor_id=da), ReallocateToken(token_id=t[2], new_slot_id=s2, reason="m") )
        await run(DelayDoctor(doctor_id=da, minutes=120, reason="late"), ResizeSlot(slot_id=s2, max_capacity=7))
        await run(BookToken(doctor_id=db, slot_id=s3, patient_name="B1", source="online"))
        await tx.forget()
    print("\n".join(out))

asyncio.run(main())
