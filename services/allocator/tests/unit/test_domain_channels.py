"""Channels: a token remembers who booked it, and a channel's key reaches only its own."""

from __future__ import annotations

import dataclasses

import pytest

from allocator.domain.errors import NotFound


def test_a_booked_token_remembers_the_channel_that_booked_it(clinic):
    slot = clinic.open()
    booking = dataclasses.replace(clinic.booking(slot), channel="web-app")

    token = clinic.schedule.book(booking, clinic.now)

    assert token.channel == "web-app"
    assert clinic.schedule.changes[-1].tokens[0]["channel"] == "web-app"  # and its event


def test_a_channel_reaches_its_own_token(clinic):
    slot = clinic.open()
    token = clinic.schedule.book(dataclasses.replace(clinic.booking(slot), channel="web-app"),
                                 clinic.now)

    assert clinic.schedule.reachable_token(token.id, "web-app") is token


def test_the_hospital_reaches_every_token(clinic):
    token = clinic.book(clinic.open())

    assert clinic.schedule.reachable_token(token.id, None) is token


def test_another_channels_token_is_not_found_in_the_words_of_a_missing_one(clinic):
    slot = clinic.open()
    token = clinic.schedule.book(dataclasses.replace(clinic.booking(slot), channel="web-app"),
                                 clinic.now)

    with pytest.raises(NotFound) as foreign:
        clinic.schedule.reachable_token(token.id, "partner-portal")
    with pytest.raises(NotFound) as missing:
        clinic.schedule.token(token.id + 10_000)

    assert foreign.value.detail == missing.value.detail.replace(str(token.id + 10_000),
                                                                str(token.id))


def test_a_token_booked_without_a_channel_is_reached_by_no_channel(clinic):
    token = clinic.book(clinic.open())  # booked before channels, or by the bootstrap admin

    with pytest.raises(NotFound):
        clinic.schedule.reachable_token(token.id, "web-app")
