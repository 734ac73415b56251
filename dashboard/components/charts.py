"""One look for every chart: a Plotly template, a colour-blind-safe palette, naira axes, and `show`.

Colours come from the Okabe–Ito palette, which colour-blind readers can tell apart; a status keeps
the same colour on every page (blue normal or free, orange attention or in use, grey neutral).
Charts are drawn with this template, not Streamlit's theme, so titles, units and hover formats
are the ones set here; Plotly's script ships inside Streamlit, so nothing is fetched at run time.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from dashboard.formatting import NAIRA

TEXT = "#111820"
GRID = "#dde3e8"
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILLION, PURPLE, GREY = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#8C8C8C",
)  # fmt: skip
PALETTE = (BLUE, ORANGE, SKY, GREEN, VERMILLION, PURPLE, YELLOW, GREY)
# The same meaning, the same colour, on every page.
STATUS_COLOURS = {
    "free": BLUE,
    "normal": BLUE,
    "in use": ORANGE,
    "attention": VERMILLION,
    "maintenance": GREY,
    "none": GREY,
}
PRIORITY_COLOURS = {"urgent": VERMILLION, "high": ORANGE, "medium": SKY, "low": GREY}

pio.templates["healthdash"] = go.layout.Template(
    layout=go.Layout(
        font={"family": "sans-serif", "color": TEXT, "size": 13},
        title={"x": 0, "xanchor": "left", "font": {"size": 16}},
        colorway=list(PALETTE),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1, "title": None},
        hoverlabel={"bgcolor": "white", "font": {"color": TEXT}},
        xaxis={"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True},
        yaxis={"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True, "rangemode": "tozero"},
        separators=".,",
    )
)
TEMPLATE = "healthdash"


def naira_axis(fig: go.Figure, axis: str = "yaxis") -> go.Figure:
    """An axis of money: ₦ before abbreviated thousands (₦1.2M), full naira in hover text."""
    fig.update_layout({axis: {"tickprefix": NAIRA, "tickformat": "~s"}})
    return fig


def bar(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str | Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    colours: dict[str, str] | None = None,
    stacked: bool = True,
    horizontal: bool = False,
    hover_format: str = ",.0f",
    height: int = 360,
    counts: bool = False,
    value_suffix: str = "",
    notes: dict[str, Sequence[str]] | None = None,
) -> go.Figure:
    """Bars of one or more series (each column in `y` a series, named by its column).

    `counts`: the values are whole things (patients, beds): the value axis shows no halves.
    `value_suffix`: a unit after each value, on the axis and in hover text (e.g. "%").
    `notes`: per series, a few words per bar added to its hover text (e.g. "(9 of 74)").
    """
    series = [y] if isinstance(y, str) else list(y)
    category_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
    fig = go.Figure()
    for position, name in enumerate(series):
        colour = (colours or {}).get(name, PALETTE[position % len(PALETTE)])
        values, labels = frame[name], frame[x]
        fig.add_bar(
            x=values if horizontal else labels,
            y=labels if horizontal else values,
            name=name,
            orientation="h" if horizontal else "v",
            marker_color=colour,
            customdata=(notes or {}).get(name),
            hovertemplate=f"%{{{category_axis}}}<br>{name}: %{{{value_axis}:{hover_format}}}{value_suffix}"
            + (" %{customdata}" if (notes or {}).get(name) is not None else "")
            + "<extra></extra>",
        )
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        barmode="stack" if stacked else "group",
        height=height,
        showlegend=len(series) > 1,
        xaxis_title=y_title if horizontal else x_title,
        yaxis_title=x_title if horizontal else y_title,
    )
    value_axis_name = "xaxis" if horizontal else "yaxis"
    if counts:
        fig.update_layout({value_axis_name: {"tickformat": ",d", "rangemode": "tozero"}})
        if len(frame) and frame[series].sum(axis=1).max() <= 10:
            fig.update_layout({value_axis_name: {"dtick": 1}})
    if value_suffix:
        fig.update_layout({value_axis_name: {"ticksuffix": value_suffix}})
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        fig.update_layout(legend={"traceorder": "normal"})
    return fig


def line(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str | Sequence[str],
    title: str,
    x_title: str,
    y_title: str,
    colours: dict[str, str] | None = None,
    hover_format: str = ",.0f",
    height: int = 340,
) -> go.Figure:
    series = [y] if isinstance(y, str) else list(y)
    fig = go.Figure()
    for position, name in enumerate(series):
        fig.add_scatter(
            x=frame[x],
            y=frame[name],
            name=name,
            mode="lines+markers" if len(frame) <= 62 else "lines",
            line={"color": (colours or {}).get(name, PALETTE[position % len(PALETTE)]), "width": 2},
            hovertemplate=f"%{{x|%d %b %Y}}<br>{name}: %{{y:{hover_format}}}<extra></extra>",
        )
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=height,
        showlegend=len(series) > 1,
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return fig


def occupancy_grid(
    *,
    columns: Sequence[str],
    rows: Sequence[str],
    filled: Sequence[Sequence[float]],
    hover: Sequence[Sequence[str]],
    title: str,
    x_title: str,
    scale_max: float = 1.0,
    labels: Sequence[Sequence[str]] | None = None,
) -> go.Figure:
    """A grid of who is busy when: one row per person, one column per slot or day; busier is darker blue.

    Fits any width (a table of twelve physicians would not), and hover names what fills each cell.
    """
    fig = go.Figure(
        go.Heatmap(
            x=list(columns),
            y=list(rows),
            z=[list(r) for r in filled],
            zmin=0,
            zmax=scale_max,
            colorscale=[[0.0, "#f3f6f8"], [1.0, BLUE]],
            showscale=False,
            xgap=2,
            ygap=2,
            customdata=[list(r) for r in hover],
            hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>",
            text=[list(r) for r in labels] if labels is not None else None,
            texttemplate="%{text}" if labels is not None else None,
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=max(220, 60 + 28 * len(rows)),
        xaxis_title=x_title,
        xaxis={"side": "top", "type": "category", "gridcolor": "rgba(0,0,0,0)"},
        yaxis={"autorange": "reversed", "type": "category", "gridcolor": "rgba(0,0,0,0)"},
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
    )
    return fig


def show(fig: go.Figure, *, key: str | None = None) -> None:
    """Draw with our template (not Streamlit's theme), without Plotly's logo or cloud buttons."""
    st.plotly_chart(
        fig,
        theme=None,
        key=key,
        config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"], "responsive": True},
    )
