"""A record's history: its dated changes, newest first, as a table, with the latest few opened in full.

    ASSESSMENTS = history.History(
        table=Table([Column("Assessed", "assessed_at", "date"), Column("Assessor", "assessor"), ...]),
        heading=lambda a: f"{lagos_date(a.assessed_at)} · {a.score}/100",   # one change's line
        detail=_assessment_in_full,                                         # draws one change in full
        noun=Noun("assessment", "assessments"),
    )
    history.show(ASSESSMENTS, past, chart=score_line, chart_key="compliance_history_chart")

Each change says when, who and what; the table lists every change handed in, a chart (when given)
sits beside it, and the `opened` most recent changes follow as folding boxes, the newest open and
marked as the current one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.kit import charts
from dashboard.kit.tables import Table
from dashboard.platform.formatting import Noun, count

T = TypeVar("T")
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class History(Generic[T]):
    table: Table  # the columns of a change: when, who, what
    heading: Callable[[T], str]  # the line of one change, on its folding box
    detail: Callable[[T], None]  # draws one change in full, inside its folding box
    noun: Noun
    opened: int = 6  # how many of the most recent changes are drawn in full
    style: Callable[[pd.DataFrame], Any] | None = None  # e.g. a tint on the cells of a column
    latest: str = "current"  # the word after the newest change's line


def _number(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def show(
    history: History[T],
    changes: Sequence[T],
    *,
    network_wide: bool = False,
    chart: go.Figure | None = None,
    chart_key: str | None = None,
) -> None:
    """The changes (newest first), a chart beside their table when given, and the latest ones in full."""
    frame = history.table.frame(changes, network_wide=network_wide)
    shown = history.style(frame) if history.style is not None else frame
    if chart is not None:
        graph, rows = st.columns([2, 3])
        with graph:
            charts.show(chart, key=chart_key)
        with rows:
            st.dataframe(shown, hide_index=True, width="stretch", height="content")
    else:
        st.dataframe(shown, hide_index=True, width="stretch", height="content")
    for position, change in enumerate(changes[: history.opened]):
        title = history.heading(change) + (f" ({history.latest})" if position == 0 else "")
        with st.expander(title, expanded=position == 0):
            history.detail(change)
    if len(changes) > history.opened:
        st.caption(f"The table lists all {count(len(changes))} {history.noun.plural}; the {_number(history.opened)} "
                   "most recent are opened above.")  # fmt: skip
