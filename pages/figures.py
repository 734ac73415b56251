"""How figures are counted: the catalogue of every figure the viewer's pages show, with its definition."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("figures")

import pandas as pd  # noqa: E402

from dashboard.components.header import page_header  # noqa: E402
from dashboard.services import figures  # noqa: E402

UNITS = {
    "count": "a count",
    "percent": "a percentage, one decimal",
    "naira": "naira (₦1.2M on cards)",
    "minutes": "minutes and hours",
    "days": "days",
    "ratio": "a ratio, two decimals",
    "score": "a score out of 100",
}

page_header(
    "How figures are counted",
    "Every figure the dashboard shows, defined once: each card, chart, table, export and report reads it from here.",
    viewer,
    shows_figures=False,
)
visible = figures.visible_to(viewer.user.role)
query = st.text_input("Find a figure", placeholder="e.g. occupancy", key="figures_search").strip().lower()
if query:
    visible = [f for f in visible if query in f.label.lower() or query in f.definition.lower()]
if not visible:
    st.info("No figure matches this search. Clear it to see them all.", icon=":material/search_off:")
for area, title in figures.AREA_TITLES.items():
    members = [f for f in visible if f.area == area]
    if not members:
        continue
    st.subheader(title)
    st.dataframe(
        pd.DataFrame(
            {
                "Figure": [f.label for f in members],
                "What it counts": [f.definition for f in members],
                "Period": [f.period[:1].upper() + f.period[1:] for f in members],
                "Shown as": [UNITS[f.unit] for f in members],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Figure": st.column_config.TextColumn(width="small"),
            "What it counts": st.column_config.TextColumn(width="large"),
            "Period": st.column_config.TextColumn(width="medium"),
            "Shown as": st.column_config.TextColumn(width="small"),
        },
    )
st.caption(
    "Times are Lagos time. A month still running is always compared with the same days of the month before, "
    "never with a whole month."
)
