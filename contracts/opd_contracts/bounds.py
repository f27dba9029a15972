"""How long and how large each field may be: one truth for the contracts and the tables.

The contracts bound what the gateway accepts and every table sizes its columns from the same
numbers, so a value the gateway lets in always fits where it is stored. (A phone pattern that
allowed 21 characters into a 20-character column once passed the gateway, failed at commit,
was retried and dead-lettered: the caller saw 202 for ever.) `test_bounds_agree` checks the
migrated databases against these numbers in both directions.

Standard library only: the allocator's domain and ORM may import it.
"""

from __future__ import annotations

__all__ = [
    "ABHA_NUMBER_MAX",
    "CAPACITY_MAX",
    "CHANNEL_MAX",
    "DELAY_MINUTES_MAX",
    "IDEMPOTENCY_KEY_MAX",
    "ID_MAX",
    "NAME_MAX",
    "PHONE_MAX",
    "PHONE_MIN",
    "ROOM_MAX",
    "TEXT_MAX",
    "TICKET_MAX",
]

ID_MAX = 2**62  # ids are BIGINT; partition-encoded ids stay far below 2**63
NAME_MAX = 120  # a patient's, a doctor's, a specialization's
PHONE_MIN = 6
PHONE_MAX = 20  # characters, the leading + and separators included
ROOM_MAX = 40
TEXT_MAX = 500  # notes and reasons
CHANNEL_MAX = 64  # the booking channel a key acts for
CAPACITY_MAX = 500  # places in one slot
DELAY_MINUTES_MAX = 720
IDEMPOTENCY_KEY_MAX = 200
ABHA_NUMBER_MAX = 17  # xx-xxxx-xxxx-xxxx: 14 digits as ABDM writes them
TICKET_MAX = 32  # a token's live-page code: 22 url-safe characters (128 random bits) today
