"""CSV exports carry the rows of the JSON; bad ranges and tables are 422, not 500."""

from __future__ import annotations

import csv
import datetime as dt
import io

from .conftest import DAY

NEXT = DAY + dt.timedelta(days=1)


def rows(answer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_each_table_exports_as_csv_with_the_json_rows(start_analytics, hospital_day):
    *_, delivered, distinct = hospital_day
    async with start_analytics() as service:
        await service.publish(*delivered)
        await service.eventually(service.facts, lambda n: n >= distinct)
        days = await service.get(f"/tokens?from={DAY}&format=csv")
        use = await service.get(f"/utilisation?from={DAY}&to={NEXT}&format=csv&table=days")
        waits_json = (await service.get(f"/waits?from={DAY}")).json()
        waits = await service.get(f"/waits?from={DAY}&format=csv")

    assert days.headers["content-type"] == "text/csv; charset=utf-8"
    assert days.headers["content-disposition"] == (
        f'attachment; filename="tokens-days-{DAY}-{DAY}.csv"')
    assert [(r["source"], r["total"]) for r in rows(days)] == [
        ("follow_up", "1"), ("online", "2"), ("priority", "2"), ("walk_in", "4")]
    assert [(r["date"], r["utilisation"]) for r in rows(use)] == [
        (str(DAY), "87.5"), (str(NEXT), "20.0")]
    assert len(rows(waits)) == len(waits_json["waits"]) == 20
    assert rows(waits)[0] == {k: str(v) for k, v in waits_json["waits"][0].items()}


async def test_an_empty_table_still_has_its_header(start_analytics):
    async with start_analytics() as service:
        answer = await service.get("/moves?from=2020-01-01&format=csv&table=kinds")

    assert answer.text.splitlines()[0] == (
        "kind,moves,tokens,mean_minutes,max_minutes,to_later_day")


async def test_bad_ranges_and_tables_are_422(start_analytics):
    async with start_analytics() as service:
        answers = [
            await service.get(f"/tokens?from={NEXT}&to={DAY}"),
            await service.get("/tokens?from=2024-01-01&to=2026-01-01"),
            await service.get("/tokens?format=csv&table=nope"),
            await service.get("/tokens?source=fax"),
            await service.get("/waits?doctor_id=0"),
        ]

    assert [a.status_code for a in answers] == [422] * 5
    assert [a.json()["code"] for a in answers[:3]] == [
        "invalid_range", "invalid_range", "unknown_table"]
