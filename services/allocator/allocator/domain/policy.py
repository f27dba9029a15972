"""The rules a hospital sets for itself (from the allocator's settings), in one value that
every schedule carries."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from allocator.domain.errors import QuotaExceeded
from allocator.domain.fairness import FairnessPolicy
from allocator.domain.model import Slot

__all__ = ["Policy", "phone_digits"]


@dataclass(frozen=True)
class Policy:
    fairness: FairnessPolicy = field(default_factory=FairnessPolicy)
    # How many tokens one phone may book with one doctor in one day (0: no limit): a channel
    # that repeats one number cannot fill a clinic. Emergencies, needing no phone, are free.
    bookings_per_phone_per_day: int = 0

    def check_phone_quota(self, slots: list[Slot], phone: str | None, now: dt.datetime,
                          known: Collection[str] | None = None) -> None:
        """Counts today's bookings with this doctor (the schedule holds every slot from today
        on, so every token booked today), cancelled ones too: churn is what a flood looks
        like. Numbers compare by their digits, so spacing cannot dodge the count.
        `known`, when the caller keeps it, holds the digits of every phone of `slots`'
        tokens: a phone not among them has booked nothing, and no token is read."""
        limit = self.bookings_per_phone_per_day
        if not limit or phone is None:
            return
        digits, today = phone_digits(phone), now.date()
        if known is not None and digits not in known:
            return  # the common case: a phone new to this doctor
        # Every booking reads every token of the doctor from today on, so the cheap test
        # comes first: the phone's digits (each token's remembered), then, for the few of
        # this phone, the day. In the other order a doctor's 190 tokens cost each booking
        # 286 us of CPU (converting every booking time, digits found anew); now 21
        # (bench/quota_cost.py). That was over plain tokens: over the ORM's instrumented
        # ones each attribute read is a Python call, and a phone new to the doctor (`known`)
        # reads none (bench/book_cost.py).
        # Booking times come back from the database in UTC: each is read on the hospital's
        # clock (`now`'s zone), or early-morning bookings would count for the day before.
        booked = sum(1 for slot in slots for token in slot.tokens
                     if token.patient_phone and phone_digits(token.patient_phone) == digits
                     and token.allocated_at.astimezone(now.tzinfo).date() == today)
        if booked >= limit:
            raise QuotaExceeded(f"this phone number has booked {booked} tokens with this doctor "
                                f"today, the most a day allows; try again tomorrow")


@functools.lru_cache(maxsize=65_536)  # a phone's digits, for each booking that counts it
def phone_digits(phone: str) -> str:
    """What the quota compares phones by: spacing and signs cannot dodge it."""
    return re.sub(r"\D", "", phone)
