"""Scan & Share at the counter: a shared profile becomes a walk-in token, and the patient's
ABHA app hears its number through on-share.

The HIP answers the share at once (202) and decides afterwards, as the specification
asks: the visit of the day is found or made (one per patient, counter and day: a second
share that day answers the same token), the earliest slot with room today at the
counter's doctor (or among its specialization's doctors) is booked through the gateway
with interop's own key, and on-share carries the token number, or why there is none.

A visit's row is locked while it books, so two shares of one patient at once book once.
The gateway's idempotency key is named by the visit (patient, counter, day, attempt), so
a rescan after a crash asks with the same key and gets the token already given, as long
as it chooses the same slot (a different one is refused as a reused key: no second token).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.abdm.client import AbdmGateway, abdm_timestamp
from interop.abdm.errors import AbdmRefusal
from interop.abdm.profile import OnShare, ShareRequest
from interop.models import Share, Visit
from interop.settings import CounterTarget, InteropSettings
from interop.upstream import Upstreams

__all__ = ["ShareDesk"]

log = logging.getLogger(__name__)
SLOT_FULL_RETRIES = 3  # another patient took the last place: choose again this often
PENDING_RETRIES = 10  # the gateway answered 202 (queued): ask again this often, 1 s apart
NO_TOKEN = 1000  # on-share error code of a share that got no token (ABDM's generic code)


class NoToken(Exception):
    """Why this share got no token, in words for the patient's app."""


@dataclass
class ShareDesk:
    settings: InteropSettings
    sessions: async_sessionmaker[AsyncSession]
    upstreams: Upstreams
    gateway: AbdmGateway
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def _auth(self) -> str:
        key = self.settings.abdm_api_key
        return f"Bearer {key.get_secret_value()}" if key else ""

    def target_of(self, share: ShareRequest) -> CounterTarget:
        target = self.settings.abdm_counters.get(share.profile.hipCode)
        if target is None:
            raise AbdmRefusal(400, "invalid_request",
                              f"profile.hipCode {share.profile.hipCode!r} is no counter of this "
                              "HIP (OPD_ABDM_COUNTERS)")
        return target

    async def accept(self, share: ShareRequest) -> None:
        """Record the share (once per request id) and decide it in the background."""
        self.target_of(share)
        patient = share.profile.patient
        async with self.sessions.begin() as session:
            await session.execute(insert(Share).values(
                request_id=share.requestId, counter_code=share.profile.hipCode,
                health_id=patient.healthId or patient.healthIdNumber or "",
            ).on_conflict_do_nothing(index_elements=["request_id"]))
        task = asyncio.create_task(self.decide(share), name=f"share-{share.requestId}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        """Let shares being decided finish (their patients are waiting for a number)."""
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=30)

    async def decide(self, share: ShareRequest) -> None:
        try:
            number, refusal = await self._token_for(share), None
        except NoToken as why:
            number, refusal = None, str(why)
        except Exception:  # a bug or an outage must still answer the patient's app
            log.exception("share %s could not be decided", share.requestId)
            number, refusal = None, "the hospital could not give a token just now; ask at " \
                                    "the counter"
        status = await self.gateway.on_share(self.on_share(share, number, refusal))
        async with self.sessions.begin() as session:
            row = await session.get(Share, share.requestId)
            if row is not None:
                row.token_number, row.refusal, row.callback_status = number, refusal, status

    @staticmethod
    def on_share(share: ShareRequest, number: str | None, refusal: str | None
                 ) -> dict[str, Any]:
        patient = share.profile.patient
        return OnShare.model_validate({
            "requestId": uuid.uuid4(), "timestamp": abdm_timestamp(),
            "acknowledgement": {"status": "SUCCESS" if number else "FAILURE",
                                "healthId": patient.healthId or patient.healthIdNumber,
                                "tokenNumber": number},
            "error": None if number else {"code": NO_TOKEN, "message": refusal},
            "resp": {"requestId": share.requestId},
        }).model_dump(mode="json")

    def _today(self) -> tuple[dt.date, str]:
        now = dt.datetime.now(ZoneInfo(self.settings.timezone))
        return now.date(), now.strftime("%H:%M")

    async def _token_for(self, share: ShareRequest) -> str:
        day, _ = self._today()
        patient = share.profile.patient
        async with self.sessions.begin() as session:
            await session.execute(insert(Visit).values(
                patient_key=patient.key, counter_code=share.profile.hipCode, day=day,
            ).on_conflict_do_nothing(index_elements=["patient_key", "counter_code", "day"]))
            visit = (await session.scalars(
                select(Visit).where(Visit.patient_key == patient.key,
                                    Visit.counter_code == share.profile.hipCode,
                                    Visit.day == day).with_for_update())).one()
            row = await session.get(Share, share.requestId)
            if row is not None:
                row.visit_id = visit.id
            if visit.token_number is None:
                await self._book(session, visit, share)
            assert visit.token_number is not None
            return visit.token_number

    async def _book(self, session: AsyncSession, visit: Visit, share: ShareRequest) -> None:
        """Book the visit's token; the row stays locked by the caller's transaction."""
        refused: set[int] = set()
        for _ in range(SLOT_FULL_RETRIES):
            if visit.booking is None:
                visit.booking = await self._booking(share, exclude=refused)
                visit.attempt += 1
                await session.flush()  # the request is recorded before it is sent
            answer = await self._send(visit)
            if answer.status == 201:
                visit.token_id, visit.token_number = answer.body["id"], answer.body["token_number"]
                visit.booking = None  # the name and phone are no longer needed here
                return
            code = answer.body.get("code") if isinstance(answer.body, dict) else None
            if code not in ("slot_full", "slot_closed"):
                raise NoToken(f"the booking was refused: {answer.body.get('detail')}"
                              if isinstance(answer.body, dict) else "the booking was refused")
            refused.add(visit.booking["slot_id"])
            visit.booking = None
        raise NoToken("every slot with room was taken as we booked; ask at the counter")

    async def _send(self, visit: Visit) -> Any:
        assert visit.booking is not None
        # Named by the visit, not its row id: after a crash rolled the row back, the rescan
        # asks with the same key, and the gateway answers the token it already gave.
        visit_name = f"{visit.counter_code}|{visit.patient_key}|{visit.day.isoformat()}"
        key = f"abdm:{hashlib.sha256(visit_name.encode()).hexdigest()[:40]}:{visit.attempt}"
        for _ in range(PENDING_RETRIES):
            answer = await self.upstreams.book(self._auth, visit.booking, key)
            if answer.status != 202:
                return answer
            await asyncio.sleep(1)
        raise NoToken("the hospital's booking is slow just now; ask at the counter")

    async def _booking(self, share: ShareRequest, exclude: Iterable[int]) -> dict[str, Any]:
        slot = await self._earliest_slot(self.target_of(share), set(exclude))
        patient = share.profile.patient
        body = {"patient_name": patient.name, "doctor_id": slot["doctor_id"],
                "slot_id": slot["id"], "source": "walk_in",
                "notes": f"ABDM Scan & Share at counter {share.profile.hipCode}"
                         + (f", ABHA address {patient.healthId}" if patient.healthId else "")}
        if patient.mobile:
            body["patient_phone"] = patient.mobile
        if patient.healthIdNumber:
            body["abha_number"] = patient.healthIdNumber
        return body

    async def _earliest_slot(self, target: CounterTarget, exclude: set[int]) -> dict[str, Any]:
        """The earliest slot with room today at the counter's doctor, or among the doctors of
        its specialization; a doctor with none left, the usual alternative: the earliest
        among colleagues of the same specialization (as the gateway offers for a full slot)."""
        if target.doctor_id is not None:
            found = await self._open_slots([target.doctor_id], exclude)
            if found:
                return found[0]
            answer = await self.upstreams.doctor(self._auth, target.doctor_id)
            specialization = answer.body["specialization"] if answer.ok else None
        else:
            specialization = target.specialization
        colleagues = [d for d in await self._doctors_of(specialization)
                      if d != target.doctor_id]
        found = await self._open_slots(colleagues, exclude)
        if not found:
            raise NoToken("no OPD slot with room is left today at this counter; ask at the "
                          "counter")
        return found[0]

    async def _doctors_of(self, specialization: str | None) -> list[int]:
        if not specialization:
            return []
        _, everyone = await self.upstreams.doctors(self._auth)
        wanted = specialization.strip().lower()
        return [d["id"] for d in everyone
                if d["specialization"].strip().lower() == wanted and d["is_active"]]

    async def _open_slots(self, doctors: list[int], exclude: set[int]) -> list[dict[str, Any]]:
        """Today's slots of these doctors with room and not yet over, earliest first."""
        day, clock = self._today()
        found = []
        for doctor_id in doctors:
            _, slots = await self.upstreams.slots(self._auth, doctor_id, day)
            found += [s for s in slots if s["is_active"] and s["id"] not in exclude
                      and s["current_count"] < s["max_capacity"] and s["end_time"] > clock]
        return sorted(found, key=lambda s: (s["start_time"], s["id"]))
