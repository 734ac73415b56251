"""How figures are counted: the catalogue of every figure the viewer's pages show, with its definition."""

from __future__ import annotations

import streamlit as st

from dashboard.kit.page import PageContext
from dashboard.platform import figures
from dashboard.platform.formatting import md_escape

UNITS = {
    "count": "a count",
    "percent": "a percentage, one decimal",
    "naira": "naira (₦1.2M on cards)",
    "minutes": "minutes and hours",
    "days": "days",
    "ratio": "a ratio, two decimals",
    "score": "a score out of 100",
}


def render(ctx: PageContext) -> None:
    ctx.header(
        "Every figure the dashboard shows, defined once: each card, chart, table, export and report reads it "
        "from here.",
        shows_figures=False,
    )
    visible = figures.visible_to(ctx.viewer.user.role)
    query = st.text_input("Find a figure", placeholder="e.g. occupancy", key="figures_search").strip().lower()
    if query:
        visible = [f for f in visible if query in f.label.lower() or query in f.definition.lower()]
    if not visible:
        st.info("No figure matches this search. Clear it to see them all.", icon=":material/search_off:")
    # A list rather than a table: a definition is a sentence, and a table's cells cut sentences at 1400 px.
    for area, title in figures.AREA_TITLES.items():
        members = [f for f in visible if f.area == area]
        if not members:
            continue
        st.subheader(title)
        for spec in members:
            period = spec.period[:1].upper() + spec.period[1:]
            st.markdown(
                f"**{md_escape(spec.label)}**: {md_escape(spec.definition)}  \n"
                f":gray[{md_escape(period)} · shown as {md_escape(UNITS[spec.unit])}]"
            )
    st.caption(
        "Times are Lagos time. A month still running is always compared with the same days of the month before, "
        "never with a whole month."
    )
