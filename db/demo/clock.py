"""The demo's own clock: every timestamp is derived from `as_of`, never from the wall clock.

The demo's "now" is 07:00 in Lagos on the as_of day (06:00 UTC): the clinic day is about to open,
the overnight queue is waiting, and every appointment of the as_of day still lies ahead. So the
data built on a given day never claims anything happened later than that morning.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

# Nigeria keeps West Africa Time all year (no daylight saving), so a fixed offset is exact.
LAGOS = timezone(timedelta(hours=1), "WAT")
HISTORY_DAYS = 365
FUTURE_DAYS = 30
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DemoClock:
    as_of: date
    # Read for nearly every row of millions, so computed once rather than as properties.
    now: datetime = field(init=False)
    history_start: datetime = field(init=False)
    horizon: datetime = field(init=False)  # the end of the booking window, a month ahead
    first_midnight: datetime = field(init=False)  # 00:00 in Lagos on the first history day, as UTC
    first_weekday: int = field(init=False)

    def __post_init__(self) -> None:
        now = datetime.combine(self.as_of, time(7, 0), tzinfo=LAGOS).astimezone(UTC)
        first_day = self.as_of - timedelta(days=HISTORY_DAYS)
        object.__setattr__(self, "now", now)
        object.__setattr__(self, "history_start", now - timedelta(days=HISTORY_DAYS))
        object.__setattr__(self, "horizon", now + timedelta(days=FUTURE_DAYS))
        object.__setattr__(
            self, "first_midnight", datetime.combine(first_day, time(0, 0), tzinfo=LAGOS).astimezone(UTC)
        )
        object.__setattr__(self, "first_weekday", first_day.weekday())

    def history_days(self) -> list[date]:
        """The 365 complete days before as_of, oldest first: one analytics row per day and metric."""
        return [self.as_of - timedelta(days=offset) for offset in range(HISTORY_DAYS, 0, -1)]

    def day_index(self, moment: datetime) -> int:
        """Days since the first history day in Lagos time (0..364 for history, 365+ for as_of onwards)."""
        return (moment - self.first_midnight) // ONE_DAY

    def lagos_moment(self, day_index: int, minutes: int) -> datetime:
        """The instant `minutes` after Lagos midnight of history day `day_index` (no DST: plain arithmetic)."""
        return self.first_midnight + timedelta(days=day_index, minutes=minutes)

    def weekday(self, day_index: int) -> int:
        return (self.first_weekday + day_index) % 7

    def between(self, rng: random.Random, start: datetime, end: datetime) -> datetime:
        """A moment in [start, end), to the second; `start` itself when the span is empty."""
        seconds = int((end - start).total_seconds())
        return start + timedelta(seconds=rng.randrange(seconds)) if seconds > 0 else start

    def days_ago(self, rng: random.Random, low: float, high: float) -> datetime:
        return self.now - timedelta(seconds=int(rng.uniform(low, high) * 86400))


def utc_midnight(day: date) -> datetime:
    """Daily metrics are stamped at 00:00 UTC (01:00 in Lagos), so the day reads the same in both zones."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)
