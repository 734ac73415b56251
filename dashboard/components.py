"""Small drawing helpers shared by pages. Each owns the session-state keys it creates."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.formatting import lagos_datetime, md_escape, range_caption
from dashboard.gate import Viewer
from dashboard.services.paging import Page


def page_header(title: str, purpose: str, viewer: Viewer) -> None:
    """Title, what the page is for, which scope it shows and when its figures were read."""
    st.title(title)
    st.caption(
        f"{purpose} Scope: **{md_escape(viewer.scope_label)}**. "
        f"Figures as of {lagos_datetime(datetime.now(UTC))} (Lagos time)."
    )


def page_number(key: str, reset_on: object) -> int:
    """The current page of a paginated table; goes back to page 1 when `reset_on` (the filters) changes."""
    marker = f"{key}__filters"
    if st.session_state.get(marker) != reset_on:
        st.session_state[marker] = reset_on
        st.session_state[key] = 1
    return int(st.session_state.get(key, 1))


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
