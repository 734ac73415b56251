"""Days as the network lives them: Africa/Lagos midnights, and date ranges a question may ask for."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, literal

from dashboard.platform.errors import InvalidInput

LAGOS = ZoneInfo("Africa/Lagos")
# The one limit of a date range, for the sidebar, a link and every service: longer is a mistyped
# year, not a question.
LONGEST_RANGE_DAYS = 3 * 366
EARLIEST = date(2000, 1, 1)  # nothing the dashboard holds is older
LATEST_AHEAD = timedelta(days=366)  # appointments are booked up to a year ahead


def lagos_midnight(day: date) -> datetime:
    """The first moment of `day` in Lagos: the bound of every "on this day" query."""
    return datetime.combine(day, time.min, tzinfo=LAGOS)


def checked_range(start: Any, end: Any) -> tuple[date, date]:
    """A date range from a form or a link, refused in a sentence when it cannot be asked."""
    if not isinstance(start, date) or not isinstance(end, date):
        raise InvalidInput("Pick a start and an end date.")
    start = start.date() if isinstance(start, datetime) else start
    end = end.date() if isinstance(end, datetime) else end
    if start > end:
        raise InvalidInput("The start date is after the end date: pick a start on or before the end.")
    if (end - start).days >= LONGEST_RANGE_DAYS:
        raise InvalidInput("Pick a date range of at most three years.")
    return start, end


def range_problem(start: date, end: date, today: date) -> str | None:
    """Why the sidebar (or a link) cannot use a date range, in a sentence; None when it can."""
    if start > end:
        return "The date range ends before it starts."
    if (end - start).days >= LONGEST_RANGE_DAYS:
        return "The date range is longer than three years."
    if start < EARLIEST or end > today + LATEST_AHEAD:
        return "The date range lies outside the years the dashboard holds."
    return None


def day_series(start: date, end: date):
    """Every day from `start` to `end` as a derived table, and its day column: so a quiet day counts zero."""
    series = (
        func.generate_series(literal(start, Date), literal(end, Date), literal(timedelta(days=1)))
        .table_valued("value")
        .render_derived(name="days")
    )
    return series, cast(series.c.value, Date)


def day_text(day: date) -> str:
    """26 Nov 2026."""
    return f"{day.day} {day:%b %Y}"


def span_text(first: date, last: date, *, year: bool = False) -> str:
    """'1–7 Dec', '28 Nov–4 Dec', '1 Dec' (one day); with the year: '1–7 Dec 2025', '28 Dec 2025–3 Jan 2026'."""
    tail = f" {last.year}" if year else ""
    if first == last:
        return f"{first.day} {first:%b}{tail}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}\u2013{last.day} {last:%b}{tail}"
    head = f"{first.day} {first:%b}" + (f" {first.year}" if year and first.year != last.year else "")
    return f"{head}\u2013{last.day} {last:%b}{tail}"
