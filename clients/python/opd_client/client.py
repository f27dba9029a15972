"""The client: one method per operation of `operations.OPERATIONS`, typed answers, refusals
raised as `errors.Problem`, lists walked page by page, and writes that can be repeated safely.

    with OpdClient("http://localhost:8000", "http://localhost:8001", key) as opd:
        try:
            token = opd.book_until_decided(patient_name="John Doe", doctor_id=1, slot_id=17,
                                           source="online")
        except SlotFull as full:
            ...  # full.alternatives: open slots with room

Every write takes an Idempotency-Key (one is made up when none is given). A 202 means the
gateway queued the command but had no decision in time: `*_until_decided` repeats the same
request with the same key until it is decided, which the gateway decides exactly once.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from opd_client.errors import Problem, problem_of
from opd_client.models import (
    Booked,
    DoctorRecord,
    Pending,
    ProblemBody,
    QueueEntry,
    SlotRecord,
    TokenRecord,
    TokenView,
)
from opd_client.operations import OPERATIONS

__all__ = ["OpdClient"]

M = TypeVar("M", bound=BaseModel)


class OpdClient:
    def __init__(self, gateway_url: str, queue_view_url: str, key: str,
                 timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        self._http = {name: httpx.Client(base_url=url, headers=headers, timeout=timeout)
                      for name, url in (("gateway", gateway_url),
                                        ("queue_view", queue_view_url))}

    def __enter__(self) -> OpdClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for http in self._http.values():
            http.close()

    # Writes (booking-gateway): each answers its record, or Pending (202).

    def register_doctor(self, name: str, specialization: str, room: str | None = None, *,
                        idempotency_key: str | None = None) -> DoctorRecord | Pending:
        return self._write("register_doctor", DoctorRecord, idempotency_key, json={
            "name": name, "specialization": specialization, "room": room})

    def open_slot(self, doctor_id: int, date: dt.date, start_time: dt.time, end_time: dt.time,
                  max_capacity: int, *, idempotency_key: str | None = None
                  ) -> SlotRecord | Pending:
        return self._write("open_slot", SlotRecord, idempotency_key, json={
            "doctor_id": doctor_id, "date": date.isoformat(),
            "start_time": start_time.strftime("%H:%M"), "end_time": end_time.strftime("%H:%M"),
            "max_capacity": max_capacity})

    def book(self, patient_name: str, doctor_id: int, slot_id: int, source: str, *,
             patient_phone: str | None = None, notes: str | None = None,
             emergency: bool = False, idempotency_key: str | None = None) -> Booked | Pending:
        """Raises SlotFull (with its alternatives) when the slot has no place."""
        body = {"patient_name": patient_name, "doctor_id": doctor_id, "slot_id": slot_id,
                "source": source, "patient_phone": patient_phone, "notes": notes}
        return self._write("book", Booked, idempotency_key, json=body,
                           query={"emergency": "true"} if emergency else {})

    def cancel(self, token_id: int, reason: str | None = None, *,
               idempotency_key: str | None = None) -> TokenRecord | Pending:
        return self._write("cancel", TokenRecord, idempotency_key, path={"token_id": token_id},
                           query={"reason": reason} if reason else {})

    def until_decided(self, write: Callable[..., M | Pending], *args: Any,
                      attempts: int = 30, pause: float = 1.0,
                      on_pending: Callable[[Pending], None] | None = None, **kwargs: Any) -> M:
        """`write(*args, **kwargs)`, repeated with the same Idempotency-Key while it answers
        202 (and after a 503's Retry-After): the command is decided once, and this returns
        that decision (or raises its refusal). `on_pending` hears of each 202."""
        key = kwargs.pop("idempotency_key", None) or uuid.uuid4().hex
        for attempt in range(attempts):
            try:
                answer = write(*args, idempotency_key=key, **kwargs)
            except Problem as refused:
                if refused.status != 503 or attempt == attempts - 1:
                    raise
                time.sleep(refused.retry_after or pause)
                continue
            if not isinstance(answer, Pending):
                return answer
            key = answer.request_id
            if on_pending is not None:
                on_pending(answer)
            time.sleep(pause)
        raise TimeoutError(f"not decided after {attempts} attempts (Idempotency-Key {key})")

    def book_until_decided(self, *args: Any, **kwargs: Any) -> Booked:
        return self.until_decided(self.book, *args, **kwargs)

    # Reads (queue-view).

    def token(self, token_id: int) -> TokenView:
        answer = self._send("token", path={"token_id": token_id})
        return TokenView.model_validate(answer.json())

    def doctors(self, page_size: int = 100) -> Iterator[DoctorRecord]:
        return self._walk("doctors", DoctorRecord, {"limit": page_size})

    def slots(self, doctor_id: int | None = None, date: dt.date | None = None,
              page_size: int = 100) -> Iterator[SlotRecord]:
        query: dict[str, Any] = {"limit": page_size, "doctor_id": doctor_id,
                                 "date": date.isoformat() if date else None}
        return self._walk("slots", SlotRecord, query)

    def queue(self, slot_id: int, page_size: int = 100) -> Iterator[QueueEntry]:
        return self._walk("queue", QueueEntry, {"limit": page_size}, {"slot_id": slot_id})

    # The requests, each built from its row of OPERATIONS.

    def _write(self, name: str, model: type[M], idempotency_key: str | None,
               **request: Any) -> M | Pending:
        key = idempotency_key or uuid.uuid4().hex
        answer = self._send(name, headers={"Idempotency-Key": key}, **request)
        if answer.status_code == 202:
            return Pending.model_validate(answer.json())
        return model.model_validate(answer.json())

    def _walk(self, name: str, model: type[M], query: dict[str, Any],
              path: dict[str, Any] | None = None) -> Iterator[M]:
        """Every item of every page: each page's `Link: rel="next"` names the next."""
        answer = self._send(name, path=path, query=query)
        while True:
            yield from (model.model_validate(item) for item in answer.json())
            following = answer.links.get("next")
            if following is None:
                return
            cursor = httpx.URL(following["url"]).params["cursor"]
            answer = self._send(name, path=path, query={**query, "cursor": cursor})

    def _send(self, name: str, *, path: dict[str, Any] | None = None,
              query: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
              json: dict[str, Any] | None = None) -> httpx.Response:
        operation = OPERATIONS[name]
        sent_query = {k: v for k, v in (query or {}).items() if v is not None}
        unknown = set(sent_query) - set(operation.query)
        unknown |= set(headers or {}) - set(operation.headers)
        if unknown or (json is not None) != operation.body:
            raise ValueError(f"{name}: not in the operation's table: {sorted(unknown)}")
        answer = self._http[operation.service].request(
            operation.method, operation.path.format(**(path or {})), params=sent_query,
            headers=headers, json=None if json is None else
            {k: v for k, v in json.items() if v is not None})
        if answer.status_code >= 400:
            retry_after = answer.headers.get("Retry-After")
            raise problem_of(ProblemBody.model_validate(answer.json()),
                             float(retry_after) if retry_after else None)
        return answer
