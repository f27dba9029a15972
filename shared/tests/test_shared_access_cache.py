"""The key cache is bounded, and remembers unknown keys briefly too."""

import asyncio

from opd_shared.access import Role

BOUND = 50


async def test_a_flood_of_unknown_keys_stays_within_the_bound_and_keeps_known_keys(
        key_store, look_ups):
    store = await key_store(cache_entries=BOUND)
    _, real = await store.create("web app", Role.ONLINE)
    await store.find(real)

    for n in range(BOUND * 4):
        assert await store.find(f"opd_made-up-{n}") is None
    with look_ups(store) as seen:
        found = await store.find(real)

    assert len(store.unknown) <= BOUND and len(store.known) <= BOUND
    assert found is not None and found.name == "web app"
    assert seen == []  # the real key was still remembered


async def test_an_unknown_key_is_looked_up_once_within_the_cache_time(key_store, look_ups):
    store = await key_store(ttl_s=0.5)

    with look_ups(store) as within:
        answers = [await store.find("opd_made-up") for _ in range(5)]
    await asyncio.sleep(0.6)
    with look_ups(store) as after:
        await store.find("opd_made-up")

    assert answers == [None] * 5
    assert len(within) == 1
    assert len(after) == 1  # briefly: then it is asked again


async def test_requests_that_miss_a_key_together_share_one_look_up(key_store, look_ups):
    store = await key_store(ttl_s=0.5)
    _, real = await store.create("web app", Role.ONLINE)

    with look_ups(store) as seen:
        found = await asyncio.gather(*(store.find(real) for _ in range(40)),
                                     *(store.find("opd_made-up") for _ in range(40)))

    assert [r.name if r else None for r in found] == ["web app"] * 40 + [None] * 40
    assert len(seen) == 2  # one for the real key, one for the made-up one


async def test_a_request_that_goes_away_leaves_the_shared_look_up_to_the_others(
        key_store, look_ups):
    store = await key_store()
    _, real = await store.create("web app", Role.ONLINE)

    with look_ups(store) as seen:
        first = asyncio.ensure_future(store.find(real))
        second = asyncio.ensure_future(store.find(real))
        await asyncio.sleep(0)
        first.cancel()
        found = await second

    assert first.cancelled() and found is not None and found.name == "web app"
    assert len(seen) == 1 and store._pending == {}
