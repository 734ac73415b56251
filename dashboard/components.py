"""Small drawing helpers shared by pages. Each owns the session-state keys it creates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.formatting import csv_safe, lagos_datetime, md_escape, range_caption
from dashboard.gate import Viewer
from dashboard.services.paging import EXPORT_LIMIT, Page


def page_header(title: str, purpose: str, viewer: Viewer, *, shows_figures: bool = True) -> None:
    """Title, what the page is for, which scope it shows and (where it shows figures) when they were read."""
    st.title(title)
    when = f" Figures as of {lagos_datetime(datetime.now(UTC))} (Lagos time)." if shows_figures else ""
    st.caption(f"{purpose} Scope: **{md_escape(viewer.scope_label)}**.{when}")


def page_number(key: str, reset_on: object) -> int:
    """The current page of a paginated table; goes back to page 1 when `reset_on` (the filters) changes."""
    marker = f"{key}__filters"
    if st.session_state.get(marker) != reset_on:
        st.session_state[marker] = reset_on
        st.session_state[key] = 1
    return int(st.session_state.get(key, 1))


def page_table(frame: pd.DataFrame) -> None:
    """One page of a paginated table, shown whole: no scrollbar inside a scrolling page."""
    st.dataframe(frame, hide_index=True, height="content")


def pager(key: str, page: Page, noun: str) -> None:
    """'1–25 of 40 hospitals' with previous/next buttons that change the page kept under `key`."""
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="center")
    left.caption(range_caption(page.first, page.last, page.total, noun))
    if middle.button("Previous", key=f"{key}__prev", disabled=page.page <= 1, width="stretch"):
        st.session_state[key] = page.page - 1
        st.rerun()
    if right.button("Next", key=f"{key}__next", disabled=page.page >= page.page_count, width="stretch"):
        st.session_state[key] = page.page + 1
        st.rerun()


def csv_export(
    key: str,
    *,
    filters: object,
    noun: str,
    file_stem: str,
    disabled: bool,
    prepare: Callable[[], tuple[pd.DataFrame, bool]],
) -> None:
    """An "Export to CSV" expander under a table.

    The file is built only when asked, by `prepare` (a service call that checks scope and records
    the export in the audit trail), and returns the table and whether the row limit cut it short.
    A file is offered only while `filters` (which should include the scope) are the ones it was
    made for. Cells a spreadsheet would run as formulas are kept as text.
    """
    with st.expander("Export to CSV"):
        st.caption(
            f"All {noun} matching the filters above, up to {EXPORT_LIMIT:,}. "
            "Preparing an export is itself recorded in the audit trail."
        )
        if st.button("Prepare CSV", key=f"{key}_prepare", disabled=disabled):
            with st.spinner("Preparing the file…"):
                table, truncated = prepare()
                csv = table.map(csv_safe).to_csv(index=False).encode("utf-8")
            st.session_state[key] = (filters, csv, len(table), truncated)
        prepared = st.session_state.get(key)
        if prepared and prepared[0] == filters:
            _, csv, rows, truncated = prepared
            if truncated:
                st.warning(f"Only the first {rows:,} {noun} are in the file; narrow the filters to get the rest.")
            st.download_button(
                f"Download {rows:,} {noun} (CSV)",
                data=csv,
                file_name=f"{file_stem}-{datetime.now(UTC):%Y-%m-%d}.csv",
                mime="text/csv",
                icon=":material/download:",
                key=f"{key}_download",
            )
