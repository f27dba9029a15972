"""A full garbage collection of the allocator does not walk its cached tokens (they are
frozen once a collection finds them alive: allocator.main.freeze_cache_survivors), and a
frozen schedule the cache lets go of is freed all the same, by reference counting."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from allocator.main import freeze_cache_survivors

from .desk import envelope

BOOKINGS = 500  # a slot's most; ~4,500 objects the collector would track, were they not frozen


@pytest.fixture
def survivors_frozen(desk) -> Iterator[None]:
    """This process's collector as an allocator process's, young collections every 200
    net new objects; as it was afterwards."""
    threshold, callbacks = gc.get_threshold(), list(gc.callbacks)
    gc.collect()
    gc.set_threshold(200, *threshold[1:])
    freeze_cache_survivors(desk.settings)
    try:
        yield
    finally:
        gc.callbacks[:] = callbacks
        gc.set_threshold(*threshold)
        gc.unfreeze()
        gc.enable()


async def _book(desk, slot: dict, count: int) -> None:
    for first in range(0, count, 50):  # rounds of 50, as a busy partition decides them
        replies = await desk.batch(*(envelope(desk.booking(slot, f"P {n}"))
                                     for n in range(first, min(first + 50, count))))
        assert all(r.ok for r in replies)


def _cache(desk):
    return desk.deciders[0].group.transactions.workspace.cache


async def test_a_full_collection_does_not_walk_the_cached_tokens(desk, survivors_frozen):
    slot = await desk.slot(await desk.doctor(partition=0), capacity=BOOKINGS)
    tracked = len(gc.get_objects())

    await _book(desk, slot, BOOKINGS)

    cache = _cache(desk)
    assert cache.get(slot["doctor_id"]) is not None and cache.tokens >= BOOKINGS
    # Unfrozen, each cached token kept ~9 tracked objects; now only the young ones are left
    assert len(gc.get_objects()) - tracked < BOOKINGS


async def test_a_frozen_schedule_let_go_of_is_freed_by_reference_counting(desk,
                                                                          survivors_frozen):
    doctor = await desk.doctor(partition=0)
    await _book(desk, await desk.slot(doctor, capacity=200), 200)
    cache = _cache(desk)
    schedule = cache.get(doctor).schedule
    kept = [weakref.ref(schedule), *(weakref.ref(t) for s in schedule.slots.values()
                                     for t in s.tokens)]
    del schedule
    gc.collect()  # frozen now, as the service's collections leave them
    gc.disable()  # only reference counts free anything from here on

    cache.drop(doctor)

    assert [r for r in kept if r() is not None] == []


async def test_rounds_leave_no_reference_cycle_behind(desk):
    """What the freezing gives up is finding a cycle that died after a collection found it
    alive: the rounds make none for it to miss."""
    slot = await desk.slot(await desk.doctor(partition=0), capacity=200)
    await _book(desk, slot, 50)  # the schedule cached, statements prepared
    gc.collect()
    gc.disable()
    try:
        await _book(desk, slot, 150)
        assert gc.collect() == 0
    finally:
        gc.enable()
