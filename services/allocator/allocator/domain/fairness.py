"""Fairness: nobody waits forever behind a stream of higher-priority newcomers.

Each time a newcomer is queued ahead of a waiting patient, that patient's `overtaken_count`
goes up. Once it reaches the policy's `max_overtakes`, newcomers (emergencies excepted)
queue behind that patient: the newcomer's score is capped at the protected patient's score,
and arrival order settles the tie. The cap shows on the token, so every display and read
model orders the queue the same way from (emergency, score, arrival) alone.

Both rules, as written, look over the slot's tokens for every booking, and a slot's tokens
are the ORM's instrumented records, each attribute read a Python call. `SlotBounds` keeps, a
slot, what spares most bookings those looks without reading the tokens: a floor under every
score (nobody with a lower score than the newcomer: nobody is overtaken) and the patients
overtaken `max_overtakes` times (`reached`: nobody else can be protected). Bounds alone (the
highest count instead of `reached`) spared the protection look only while nobody in the slot
had reached the limit; with the sources mixed, a slot soon holds an overtaken walk-in, and
every later booking read the whole slot again (py-spy put that look at 18.7% of the
allocator's CPU at 1,000 bookings/s in the system bench). `reached` is found once with the
bounds and grows as `count_overtakes` raises a count to the limit; a booking reads only its
few tokens. `Schedule.book` over a doctor's day of 4 slots of 200 mapped tokens, the four
sources in turn, fell from 60 to 38 us a booking (slots of 60: 48 to 39; one source a slot,
60 places: 32 to 30), and with the new token made already scored and placed (schedule.py)
to 31 (32, 27) (bench/book_cost.py, medians of 5 alternated runs of 7, load 4.2-4.6).
The overtake count still walks the slot when the newcomer's score is above the floor: it
writes the count of each token it passes anyway, and took 4% of that day's `book`
(cProfile), so it keeps no more than the floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.domain.model import Slot, Token

__all__ = ["FairnessPolicy", "SlotBounds"]

_NO_FLOOR = 1 << 62  # an empty slot's floor: above every score


@dataclass
class SlotBounds:
    """No token of the slot has a score below `floor`, and every token of it overtaken
    `limit` times or more is among `reached` (by token id). A bound and a superset, not the
    figures: a token leaving the slot, a status change or a cancelled patient only make them
    looser, never wrong, and `reached` is filtered where it is used. They stay true as long
    as every token joins the slot through `admitted` (with its count at 0) and every
    overtake is counted by `count_overtakes` with them (the schedule's `_queued` does both);
    a score or a count changed any other way needs bounds found anew (`of`)."""

    floor: int
    limit: int  # the policy's `max_overtakes`; 0 keeps `reached` empty (the policy is off)
    reached: dict[int, Token] = field(default_factory=dict)

    @classmethod
    def of(cls, slot: Slot, limit: int) -> SlotBounds:
        tokens = slot.tokens
        return cls(min((t.priority_score for t in tokens), default=_NO_FLOOR), limit,
                   {t.id: t for t in tokens if limit and t.overtaken_count >= limit})

    def admitted(self, score: int) -> None:
        """A token joined the slot with `score` (and a count of 0)."""
        self.floor = min(self.floor, score)

    def protected(self, slot: Slot) -> list[int]:
        """The scores of the patients `slot` protects now; those of `reached` that no longer
        count (gone from the slot, seen, cancelled, or back in it with a count anew) are
        dropped, and come back only if `count_overtakes` raises their count again."""
        limit, slot_id, kept, scores = self.limit, slot.id, {}, []
        for token_id, token in self.reached.items():
            if (token.overtaken_count >= limit and token.slot_id == slot_id
                    and token.is_waiting and not token.is_emergency):
                kept[token_id] = token
                scores.append(token.priority_score)
        if len(kept) != len(self.reached):
            self.reached = kept
        return scores


@dataclass(frozen=True)
class FairnessPolicy:
    max_overtakes: int = 0  # 0 turns the policy off

    def score_for(self, slot: Slot, natural: int, emergency: bool,
                  bounds: SlotBounds | None = None) -> int:
        """The newcomer's score in `slot`: its own, unless that would pass a protected patient."""
        if not self.max_overtakes or emergency:
            return natural
        if bounds is not None:
            if not bounds.reached:
                return natural  # nobody in the slot was overtaken often enough
            return min([natural, *bounds.protected(slot)])
        # The rarest condition first: this runs over the whole slot.
        protected = [t.priority_score for t in slot.tokens
                     if t.overtaken_count >= self.max_overtakes
                     and t.is_waiting and not t.is_emergency]
        return min([natural, *protected])

    @staticmethod
    def count_overtakes(slot: Slot, newcomer: Token, bounds: SlotBounds | None = None) -> None:
        """Everyone waiting whom a (non-emergency) newcomer is queued ahead of."""
        if newcomer.is_emergency:
            return  # medical need, not a queue jump
        score = newcomer.priority_score
        if bounds is not None and bounds.floor >= score:
            return  # nobody in the slot has a lower score
        # Without bounds nothing is kept (a limit of 0: no count is raised to it).
        reached, limit = (bounds.reached, bounds.limit) if bounds is not None else ({}, 0)
        for token in slot.tokens:
            if (token.priority_score < score and token is not newcomer and token.is_waiting
                    and not token.is_emergency):
                token.overtaken_count = count = token.overtaken_count + 1
                if count == limit:
                    reached[token.id] = token
