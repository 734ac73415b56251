"""Drill-down from charts: click a bar and the table beneath shows the rows behind it; a chip says what is
selected and clears it.

Charts of one `group` share one selection: a click on any of them replaces it, and the other charts'
highlights are reset. A selection is a plain dict (`source` chart, `filters` for the list service,
`label` for the chip); the page turns a clicked point into one with its `pick` function. Selections
are kept under the group's key, which a page makes from its scope, so a scope change starts clean.
Streamlit's own chart selection events (`on_select`) carry the click: no second dropdown repeats
the chart. Clearing bumps each chart's key, so the chart is drawn again with nothing highlighted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard.kit import charts
from dashboard.platform.formatting import md_escape

Selection = dict[str, Any]  # {"source": chart key, "filters": {...}, "label": "Revenue, Oct 2026"}
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"], "responsive": True}


def _pick_key(group: str) -> str:
    return f"{group}__pick"


def _generation_key(group: str, chart_key: str) -> str:
    return f"{group}__gen__{chart_key}"


def _charts_key(group: str) -> str:
    return f"{group}__charts"


def current(group: str) -> Selection | None:
    return st.session_state.get(_pick_key(group))


def select(group: str, selection: Selection | None) -> None:
    """Set (or with None, clear) the group's selection, and reset every other chart's highlight."""
    source = (selection or {}).get("source")
    if selection is None:
        st.session_state.pop(_pick_key(group), None)
    else:
        st.session_state[_pick_key(group)] = selection
    for chart_key in st.session_state.get(_charts_key(group), ()):
        if chart_key != source:
            key = _generation_key(group, chart_key)
            st.session_state[key] = st.session_state.get(key, 0) + 1


def _as_built(fig: go.Figure, point: dict[str, Any]) -> dict[str, Any]:
    """The clicked point with x, y and customdata as the page built them, not as escaped for drawing."""
    try:
        trace = fig.data[point["curve_number"]]
        index = point["point_index"]
    except (KeyError, IndexError, TypeError):
        return point
    if not isinstance(index, int):  # a heatmap cell's index is [row, column]; its values stay as drawn
        return point
    built = dict(point)
    for name in ("x", "y", "customdata"):
        values = getattr(trace, name, None)
        if values is not None and index < len(values):
            value = values[index]
            built[name] = value.tolist() if hasattr(value, "tolist") else value
    return built


def chart(fig: go.Figure, *, group: str, key: str, pick: Callable[[dict[str, Any]], Selection | None]) -> None:
    """Draw `fig` (already in the dashboard's template) so that clicking a bar or point selects what it stands for.

    `pick` gets the clicked point (x, y, curve_number, point_index, customdata) and returns the selection,
    or None when the point means nothing to select.
    """
    st.session_state.setdefault(_charts_key(group), [])
    if key not in st.session_state[_charts_key(group)]:
        st.session_state[_charts_key(group)].append(key)
    widget_key = f"{key}__{st.session_state.get(_generation_key(group, key), 0)}"

    def _on_select() -> None:
        state = st.session_state.get(widget_key) or {}
        points = (state.get("selection") or {}).get("points") or []
        if not points:  # the reader clicked the chart's empty space or double-clicked: this chart lets go
            if (current(group) or {}).get("source") == key:
                select(group, None)
            return
        chosen = pick(_as_built(fig, points[0]))
        if chosen is not None:
            select(group, {**chosen, "source": key})

    st.plotly_chart(
        charts.safe(fig), theme=None, key=widget_key, on_select=_on_select, selection_mode="points", config=CHART_CONFIG
    )


def chip(
    group: str, *, detail: str = "", hint: str = "Click a bar to see the transactions behind it."
) -> Selection | None:
    """What is selected, in words, with a button that clears it; a hint when nothing is. Returns the selection."""
    selection = current(group)
    if selection is None:
        st.caption(hint)
        return None
    words, button = st.columns([5, 1], vertical_alignment="center")
    extra = f" · {md_escape(detail)}" if detail else ""
    words.markdown(f":blue-background[:material/filter_alt: **{md_escape(selection['label'])}**]{extra}")
    if button.button("Clear selection", key=f"{group}__clear", icon=":material/close:", width="stretch"):
        select(group, None)
        st.rerun()
    return selection
