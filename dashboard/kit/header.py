"""The top of every page: title, what it is for, which scope it shows, and when its figures were read."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.kit import say
from dashboard.platform.formatting import lagos_datetime, md_escape
from dashboard.shell import data
from dashboard.shell.gate import Viewer


def page_header(title: str, purpose: str, viewer: Viewer, *, shows_figures: bool = True) -> None:
    st.title(title)
    when = f" Figures as of {lagos_datetime(datetime.now(UTC))} (Lagos time)." if shows_figures else ""
    st.caption(f"{purpose} Scope: **{md_escape(viewer.scope_label)}**.{when}")
    notice = data.replica_notice() if shows_figures else None
    if notice:
        say.info(notice, icon=":material/database:")
