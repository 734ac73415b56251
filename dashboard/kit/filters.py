"""The date range in the sidebar: its one owner (the working scope's is shell/working_scope.py).

It lives in session state and in the address bar (`?from=…&to=…`, one sync, here), so a copied link
opens the same view. Pages read it as `ctx.period`. Its limits are platform/dates' (`range_problem`),
the same ones every service checks with `dates.checked_range`: dates that cannot be read, run
backwards or span more than three years are refused with a sentence and replaced by the default range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import streamlit as st

from dashboard.kit import say
from dashboard.platform.dates import EARLIEST, LAGOS, LATEST_AHEAD, range_problem
from dashboard.platform.formatting import lagos_date

RANGE_KEY = "_date_range"  # (start, end) as dates, Lagos days, inclusive
RANGE_WIDGET_KEY = "sidebar_date_range"
RANGE_NOTE_KEY = "_date_range_note"  # why a link's range was refused, shown once
FROM_PARAM, TO_PARAM = "from", "to"
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The period of the same length just before this one, for "against the previous period"."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def at_least_a_year(self) -> DateRange:
        """The range, reaching back at least a year from its end: a monthly trend of a few days says nothing."""
        return DateRange(min(self.start, self.end - timedelta(days=365)), self.end)

    @property
    def label(self) -> str:
        return f"{lagos_date(self.start)} – {lagos_date(self.end)}"


def today() -> date:
    return datetime.now(LAGOS).date()


def default_range() -> DateRange:
    end = today()
    return DateRange(end - timedelta(days=DEFAULT_DAYS - 1), end)


def _range_from_link() -> DateRange | None:
    raw_from, raw_to = st.query_params.get(FROM_PARAM), st.query_params.get(TO_PARAM)
    if raw_from is None and raw_to is None:
        return None
    try:
        start, end = date.fromisoformat(raw_from or ""), date.fromisoformat(raw_to or "")
    except ValueError:
        st.session_state[RANGE_NOTE_KEY] = "The link's dates could not be read (use from=YYYY-MM-DD&to=YYYY-MM-DD)."
        return None
    problem = range_problem(start, end, today())
    if problem:
        st.session_state[RANGE_NOTE_KEY] = problem.replace("The date range", "The link's date range")
        return None
    return DateRange(start, end)


def current_range() -> DateRange:
    """The working date range, set from a link on a session's first run, else the last 30 days."""
    if RANGE_KEY not in st.session_state:
        chosen = _range_from_link() or default_range()
        st.session_state[RANGE_KEY] = (chosen.start, chosen.end)
    start, end = st.session_state[RANGE_KEY]
    return DateRange(start, end)


def _show_range_in_url(chosen: DateRange) -> None:
    """The range in the address bar, so a copied link opens it; the default (last 30 days) keeps it clean."""
    if chosen == default_range():
        for param in (FROM_PARAM, TO_PARAM):
            if param in st.query_params:
                del st.query_params[param]
        return
    for param, value in ((FROM_PARAM, chosen.start.isoformat()), (TO_PARAM, chosen.end.isoformat())):
        if st.query_params.get(param) != value:
            st.query_params[param] = value


def _on_range_change() -> None:
    picked = st.session_state.get(RANGE_WIDGET_KEY) or ()
    if len(picked) != 2:  # the first click of a range picks its start; wait for the end
        return
    problem = range_problem(*picked, today())
    if problem:
        st.session_state[RANGE_NOTE_KEY] = problem + " Pick a shorter one."
        return
    st.session_state[RANGE_KEY] = tuple(picked)


def date_range_picker() -> DateRange:
    chosen = current_range()
    st.date_input(
        "Date range",
        value=(chosen.start, chosen.end),
        min_value=EARLIEST,
        max_value=today() + LATEST_AHEAD,
        key=RANGE_WIDGET_KEY,
        on_change=_on_range_change,
        format="DD/MM/YYYY",
        help="Charts and figures over time use this range; it stays as you move between pages.",
    )
    note = st.session_state.pop(RANGE_NOTE_KEY, None)
    if note:
        say.warning(f"{note} Showing {chosen.label}.")
    _show_range_in_url(chosen)
    return chosen
