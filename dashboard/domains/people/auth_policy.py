"""The limits of signing in and of a session, from the settings, and how their waits are said in words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from db import settings


@dataclass(frozen=True)
class AuthPolicy:
    free_failures: int = 5
    max_wait: timedelta = timedelta(minutes=15)
    failure_memory: timedelta = timedelta(hours=24)
    known_address_for: timedelta = timedelta(days=30)
    idle_timeout: timedelta = timedelta(minutes=15)
    absolute_timeout: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, values: settings.Settings | None = None) -> AuthPolicy:
        """The sign-in limits of the settings (HEALTHDASH_IDLE_TIMEOUT_MINUTES, HEALTHDASH_SIGN_IN_… and so on)."""
        values = values or settings.current()
        return cls(
            free_failures=int(values.sign_in_free_failures),
            max_wait=timedelta(minutes=values.sign_in_max_wait_minutes),
            failure_memory=timedelta(hours=values.sign_in_memory_hours),
            known_address_for=timedelta(days=values.sign_in_known_address_days),
            idle_timeout=timedelta(minutes=values.idle_timeout_minutes),
            absolute_timeout=timedelta(hours=values.session_max_hours),
        )

    def wait_after(self, failures: int) -> timedelta:
        """How long the next attempt waits after `failures` remembered failures: 2^k seconds, capped."""
        if failures < self.free_failures:
            return timedelta(0)
        exponent = min(failures - self.free_failures + 1, 30)  # 2^30 s is far past any cap
        return min(self.max_wait, timedelta(seconds=2**exponent))


def describe_minutes(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def describe_wait(delta: timedelta) -> str:
    """A wait in words, rounded up: '30 seconds', '1 minute', '15 minutes'."""
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} second" + ("s" if seconds != 1 else "")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("s" if minutes != 1 else "")
