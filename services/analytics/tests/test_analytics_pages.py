"""Analytics' lists come a page at a time, as every list (opd_shared.pages): walking the
pages serves each item once while items are added between pages, and a cursor the list did
not give out is a clear 400."""

from __future__ import annotations

import pytest

from opd_contracts.vocabulary import TokenStatus
from opd_shared.pages import cursor_of

from .test_analytics_history import a_token_with_a_past

LIMIT = 3


async def walk(service, path: str, between=None) -> list[dict]:
    """Every item of every page, following rel="next"; `between()` runs after each page."""
    items: list[dict] = []
    answer = await service.get(f"{path}?limit={LIMIT}")
    while True:
        assert answer.status_code == 200, answer.text
        items += answer.json()
        following = answer.links.get("next")
        if following is None:
            return items
        assert len(answer.json()) == LIMIT
        if between is not None:
            await between()
        answer = await service.client.get(following["url"])


def registered(history, specialization: str):
    d = history()  # only to build the next event: it is the token's doctor's, by its seq
    d.doctor = d.doctor.model_copy(update={"specialization": specialization})
    return d


async def test_walking_the_doctors_serves_each_once_in_order_while_doctors_register(
        start_analytics, history):
    doctors = [registered(history, s) for s in ["Cardiology", "ENT", "General"] * 3]
    after_any = iter([registered(history, f"Zoology {n}") for n in range(5)])
    before_any = iter([registered(history, f"Anaesthesia {n}") for n in range(5)])
    added: list[int] = []

    async with start_analytics() as service:
        async def two_register() -> None:
            late, early = next(after_any), next(before_any)
            added.append(late.doctor_id)
            await service.publish(late.registered(), early.registered())
            await service.eventually(service.facts, lambda n: n >= len(doctors) + 2 * len(added))

        await service.publish(*(d.registered() for d in doctors))
        await service.eventually(service.facts, lambda n: n >= len(doctors))
        served = await walk(service, "/doctors", two_register)

    ids = [d["id"] for d in served]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {d.doctor_id for d in doctors} | set(added)
    keys = [(d["specialization"], d["name"], d["id"]) for d in served]
    assert keys == sorted(keys)


async def test_walking_a_tokens_history_serves_each_change_once_while_it_changes(
        start_analytics, history):
    token, *_, events = a_token_with_a_past(history)
    d = history()

    async with start_analytics() as service:
        await service.publish(*events)
        await service.eventually(service.facts, lambda n: n >= len(events))
        whole = (await service.get(f"/tokens/{token.id}/history")).json()
        completed = None

        async def the_consultation_ends() -> None:
            nonlocal completed
            _, completed = d.changed(token, TokenStatus.COMPLETED)
            completed = completed.model_copy(update={"doctor_id": token.doctor_id,
                                                     "seq": events[-1].seq + 1})
            await service.publish(completed)
            await service.eventually(service.facts, lambda n: n >= len(events) + 1)

        served = await walk(service, f"/tokens/number/{token.token_number}/history",
                            the_consultation_ends)

    assert len(whole) == 4
    assert served[:4] == whole
    assert [e["to_status"] for e in served[4:]] == ["completed"]
    assert [e["sequence"] for e in served] == sorted({e["sequence"] for e in served})


@pytest.mark.parametrize("path", ["/doctors", "/tokens/1/history"])
async def test_a_cursor_the_list_did_not_give_out_is_a_clear_400(start_analytics, path):
    async with start_analytics() as service:
        answers = [await service.client.get(f"/api/v1/analytics{path}", params={"cursor": c})
                   for c in ("%%%", "e30", "eyJsaXN0IjoiZG9jdG9ycyIsImFmdGVyIjpbMSwyXX0")]

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert {a.headers["content-type"] for a in answers} == {"application/problem+json"}
    assert all(a.json()["detail"].startswith("cursor: not a cursor of") for a in answers)


async def test_a_page_past_the_end_is_empty_not_404(start_analytics, history):
    token, *_, events = a_token_with_a_past(history)

    async with start_analytics() as service:
        await service.publish(*events)
        await service.eventually(service.facts, lambda n: n >= len(events))
        first = await service.get(f"/tokens/{token.id}/history?limit=4")
        assert "next" not in first.links
        last = first.json()[-1]["sequence"]
        beyond = await service.client.get(
            f"/api/v1/analytics/tokens/{token.id}/history",
            params={"cursor": cursor_of(f"the history of token {token.id}", [last])})

    assert (beyond.status_code, beyond.json()) == (200, [])
