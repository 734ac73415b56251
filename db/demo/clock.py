"""The demo's own clock: every timestamp is derived from its "now", never read again from the wall clock.

The rule (`demo_clock`):

- No as_of (the default build, `healthdash run`'s): "now" is the moment of the build, to the minute,
  and as_of is that moment's Lagos date. The demo then holds exactly what had happened by the time it
  was built; built yesterday, it still reads sensibly today (waits run on from real arrival times).
- An explicit as_of before today (Lagos): "now" is 12:00 in Lagos on that day (11:00 UTC). Midday
  shows a hospital in full swing: the morning's appointments have their outcomes, the afternoon's lie
  ahead, the outpatient queue is busy. The build is deterministic for (scale, seed, as_of).
- as_of today: 12:00 in Lagos, or the build's moment if that is earlier (a morning build cannot
  show an afternoon that has not happened), so only a build after noon is repeatable.
- as_of after today: refused with one sentence (DemoDayInFuture); the demo never invents a future.

Nothing the demo writes as having happened (arrivals, calls, emergencies and their referrals, audit
rows, ledger entries, uploads, notifications, appointment outcomes) is later than "now"; only
bookings, due dates and expiries lie after it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from db.errors import CommandError

# Nigeria keeps West Africa Time all year (no daylight saving), so a fixed offset is exact.
LAGOS = timezone(timedelta(hours=1), "WAT")
HISTORY_DAYS = 365
FUTURE_DAYS = 30
ONE_DAY = timedelta(days=1)
AS_OF_TIME = time(12, 0)  # the Lagos wall-clock time of "now" for an explicit as_of


class DemoDayInFuture(CommandError):
    """An as_of after today: the demo would hold a day that has not happened."""


def demo_clock(as_of: date | None, wall: datetime | None = None) -> DemoClock:
    """The clock of one build by the rule above; `wall` is the build's moment (default: the real one)."""
    wall = (wall or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    today = wall.astimezone(LAGOS).date()
    if as_of is None:
        return DemoClock(today, now=wall)
    if as_of > today:
        raise DemoDayInFuture(
            f"--as-of {as_of.isoformat()} is after today ({today:%d %b %Y} in Lagos): the demo cannot hold a day "
            "that has not happened. Leave --as-of out to build as of now, or give today or an earlier day."
        )
    noon = datetime.combine(as_of, AS_OF_TIME, tzinfo=LAGOS).astimezone(UTC)
    return DemoClock(as_of, now=min(noon, wall))


@dataclass(frozen=True)
class DemoClock:
    as_of: date
    # None: 12:00 Lagos on as_of, the deterministic "now" of an explicit as_of (see demo_clock).
    now: datetime = None  # type: ignore[assignment]
    # Read for nearly every row of millions, so computed once rather than as properties.
    history_start: datetime = field(init=False)
    horizon: datetime = field(init=False)  # the end of the booking window, a month ahead
    first_midnight: datetime = field(init=False)  # 00:00 in Lagos on the first history day, as UTC
    first_weekday: int = field(init=False)

    def __post_init__(self) -> None:
        now = self.now or datetime.combine(self.as_of, AS_OF_TIME, tzinfo=LAGOS).astimezone(UTC)
        if now.astimezone(LAGOS).date() != self.as_of:
            raise ValueError(f"the demo's now {now.isoformat()} is not on its as_of day {self.as_of.isoformat()}")
        first_day = self.as_of - timedelta(days=HISTORY_DAYS)
        object.__setattr__(self, "now", now.astimezone(UTC))
        object.__setattr__(self, "history_start", now - timedelta(days=HISTORY_DAYS))
        object.__setattr__(self, "horizon", now + timedelta(days=FUTURE_DAYS))
        object.__setattr__(
            self, "first_midnight", datetime.combine(first_day, time(0, 0), tzinfo=LAGOS).astimezone(UTC)
        )
        object.__setattr__(self, "first_weekday", first_day.weekday())

    @property
    def today_midnight(self) -> datetime:
        """00:00 in Lagos on the as_of day, as UTC: where "today" starts on every page."""
        return self.lagos_moment(HISTORY_DAYS, 0)

    def history_days(self) -> list[date]:
        """The 365 complete days before as_of, oldest first: one analytics row per day and metric."""
        return [self.as_of - timedelta(days=offset) for offset in range(HISTORY_DAYS, 0, -1)]

    def day_index(self, moment: datetime) -> int:
        """Days since the first history day in Lagos time (0..364 for history, 365 for as_of, 366+ after)."""
        return (moment - self.first_midnight) // ONE_DAY

    def lagos_moment(self, day_index: int, minutes: float) -> datetime:
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
