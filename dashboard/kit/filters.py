"""The app-wide filters in the sidebar: the working scope (network administrators) and the date range.

Both live in session state and in the address bar (`?hospital=…&from=…&to=…`), so a copied link
opens the same view. A value from a link is checked before use: a foreign or unknown hospital is
refused by gate.working_viewer (audited), and dates that cannot be read, run backwards or span more
than the limit are refused with a sentence and replaced by the default range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import streamlit as st

from dashboard.kit import say
from dashboard.platform.formatting import LAGOS, lagos_date
from dashboard.shell import data, gate
from dashboard.shell.gate import Viewer

SCOPE_WIDGET_KEY = "sidebar_scope_picker"
RANGE_KEY = "_date_range"  # (start, end) as dates, Lagos days, inclusive
RANGE_WIDGET_KEY = "sidebar_date_range"
RANGE_NOTE_KEY = "_date_range_note"  # why a link's range was refused, shown once
FROM_PARAM, TO_PARAM = "from", "to"
DEFAULT_DAYS = 30
LONGEST_RANGE = timedelta(days=3 * 366)
EARLIEST = date(2000, 1, 1)
# The whole network is the empty string in the picker, not None: a None option reads as "nothing
# selected" to widgets and tests alike.
WHOLE_NETWORK = ""


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

    @property
    def label(self) -> str:
        return f"{lagos_date(self.start)} – {lagos_date(self.end)}"


def today() -> date:
    return datetime.now(LAGOS).date()


def default_range() -> DateRange:
    end = today()
    return DateRange(end - timedelta(days=DEFAULT_DAYS - 1), end)


def range_problem(start: date, end: date) -> str | None:
    """Why a date range cannot be used, in a sentence; None when it can."""
    if start > end:
        return "The date range ends before it starts."
    if end - start > LONGEST_RANGE:
        return "The date range is longer than three years."
    if start < EARLIEST or end > today() + timedelta(days=366):
        return "The date range lies outside the years the dashboard holds."
    return None


def _range_from_link() -> DateRange | None:
    raw_from, raw_to = st.query_params.get(FROM_PARAM), st.query_params.get(TO_PARAM)
    if raw_from is None and raw_to is None:
        return None
    try:
        start, end = date.fromisoformat(raw_from or ""), date.fromisoformat(raw_to or "")
    except ValueError:
        st.session_state[RANGE_NOTE_KEY] = "The link's dates could not be read (use from=YYYY-MM-DD&to=YYYY-MM-DD)."
        return None
    problem = range_problem(start, end)
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
    problem = range_problem(*picked)
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
        max_value=today() + timedelta(days=366),
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


def _on_scope_change() -> None:
    st.session_state[gate.SCOPE_KEY] = st.session_state[SCOPE_WIDGET_KEY] or None


def scope_picker(viewer: Viewer) -> None:
    """ADMIN only: pick one hospital, or the whole network, as the working scope for every page."""
    base = viewer.user.actor(gate.client_info(viewer.user.session_id))
    choices = data.hospital_choices(base)
    names = dict(choices)
    options = [WHOLE_NETWORK, *names]
    current = st.session_state.get(gate.SCOPE_KEY) or WHOLE_NETWORK
    st.selectbox(
        "Working scope",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda hid: gate.ALL_HOSPITALS if hid == WHOLE_NETWORK else names.get(hid, "Unknown hospital"),
        key=SCOPE_WIDGET_KEY,
        on_change=_on_scope_change,
        help="Every page shows this hospital, or all hospitals.",
    )
