"""When a digest is due: daily, weekly on a weekday or monthly on a day of the month, at a Lagos time.

Plain functions of the schedule and a moment, no database: the run (delivery.py) asks for the latest time due
at or before now, and the page for the next one. A run that was missed catches up with the latest time due
only, never a backlog of old digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dashboard.platform.dates import LAGOS

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Schedule:
    cadence: str  # daily, weekly, monthly
    send_time: time  # Lagos wall-clock time
    weekday: int | None = None  # weekly: 0 Monday … 6 Sunday
    monthday: int | None = None  # monthly: 1–28

    def words(self) -> str:
        at = self.send_time.strftime("%H:%M")
        if self.cadence == "weekly":
            return f"Every {WEEKDAYS[self.weekday or 0]} at {at}"
        if self.cadence == "monthly":
            return f"Monthly on the {ordinal(self.monthday or 1)} at {at}"
        return f"Daily at {at}"


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _at(day: date, schedule: Schedule) -> datetime:
    return datetime.combine(day, schedule.send_time, tzinfo=LAGOS)


def _month_back(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=day.day)  # day is at most 28: every month has it


def _month_on(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following.replace(day=day.day)


def latest_due(schedule: Schedule, now: datetime) -> datetime:
    """The latest moment at or before `now` when the schedule sends (an aware Lagos time)."""
    today = now.astimezone(LAGOS).date()
    if schedule.cadence == "weekly":
        day = today - timedelta(days=(today.weekday() - (schedule.weekday or 0)) % 7)
        due = _at(day, schedule)
        return due if due <= now else _at(day - timedelta(days=7), schedule)
    if schedule.cadence == "monthly":
        day = today.replace(day=schedule.monthday or 1)
        if day > today or _at(day, schedule) > now:
            day = _month_back(day)
        return _at(day, schedule)
    due = _at(today, schedule)
    return due if due <= now else _at(today - timedelta(days=1), schedule)


def next_due(schedule: Schedule, now: datetime) -> datetime:
    """The first moment after `now` when the schedule sends."""
    last = latest_due(schedule, now)
    day = last.date()
    if schedule.cadence == "weekly":
        return _at(day + timedelta(days=7), schedule)
    if schedule.cadence == "monthly":
        return _at(_month_on(day), schedule)
    return _at(day + timedelta(days=1), schedule)
