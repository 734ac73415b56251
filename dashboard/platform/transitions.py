"""Status lifecycles: which status a record may move to from which, said once, refused in one sentence.

    VISIT = Lifecycle("visit", {"waiting": {"called", "cancelled"}, "called": {"in_progress", "completed", ...}},
                      words={"waiting": "waiting", "called": "called", ...})
    VISIT.require(entry.status, "called")  # "This visit is already cancelled: it can no longer be called."

Waitlist visits, emergencies, ambulance requests and referrals each wrote this check by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dashboard.platform.errors import InvalidInput


@dataclass(frozen=True)
class Lifecycle:
    noun: str  # "visit", "referral": the record as the sentence names it
    moves: Mapping[str, frozenset[str] | set[str]]  # status -> the statuses it may become
    words: Mapping[str, str] = field(default_factory=dict)  # how a status reads; its code less "_" otherwise

    def word(self, status: str) -> str:
        return self.words.get(status, status.replace("_", " "))

    def may(self, current: str, becoming: str) -> bool:
        return becoming in self.moves.get(current, ())

    @property
    def open_statuses(self) -> frozenset[str]:
        """The statuses a record can still leave."""
        return frozenset(s for s, nexts in self.moves.items() if nexts)

    def require(self, current: str, becoming: str) -> None:
        """Refuse, in a sentence, a move the lifecycle does not allow."""
        if self.may(current, becoming):
            return
        if current == becoming:
            raise InvalidInput(f"This {self.noun} is already {self.word(current)}: nothing to change.")
        if not self.moves.get(current):
            raise InvalidInput(
                f"This {self.noun} is already {self.word(current)}: it can no longer be {self.word(becoming)}."
            )
        raise InvalidInput(f"This {self.noun} is {self.word(current)}, so it cannot be {self.word(becoming)} now.")
