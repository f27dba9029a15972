"""Fairness: nobody waits forever behind a stream of higher-priority newcomers.

Each time a newcomer is queued ahead of a waiting patient, that patient's `overtaken_count`
goes up. Once it reaches the policy's `max_overtakes`, newcomers (emergencies excepted)
queue behind that patient: the newcomer's score is capped at the protected patient's score,
and arrival order settles the tie. The cap shows on the token, so every display and read
model orders the queue the same way from (emergency, score, arrival) alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from allocator.domain.model import Slot, Token

__all__ = ["FairnessPolicy"]


@dataclass(frozen=True)
class FairnessPolicy:
    max_overtakes: int = 0  # 0 turns the policy off

    def score_for(self, slot: Slot, natural: int, emergency: bool) -> int:
        """The newcomer's score in `slot`: its own, unless that would pass a protected patient."""
        if not self.max_overtakes or emergency:
            return natural
        # The rarest condition first: this runs over the whole slot for every booking.
        protected = [t.priority_score for t in slot.tokens
                     if t.overtaken_count >= self.max_overtakes
                     and t.is_waiting and not t.is_emergency]
        return min([natural, *protected])

    @staticmethod
    def count_overtakes(slot: Slot, newcomer: Token) -> None:
        """Everyone waiting whom a (non-emergency) newcomer is queued ahead of."""
        if newcomer.is_emergency:
            return  # medical need, not a queue jump
        score = newcomer.priority_score
        for token in slot.tokens:
            if (token.priority_score < score and token is not newcomer and token.is_waiting
                    and not token.is_emergency):
                token.overtaken_count += 1
