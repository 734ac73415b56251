"""One look for every chart: a Plotly template, a colour-blind-safe palette, naira axes, and `show`.

Colours come from the Okabe–Ito palette, which colour-blind readers can tell apart; a status keeps
the same colour on every page (blue normal or free, orange attention or in use, grey neutral).
Charts are drawn with this template, not Streamlit's theme, so titles, units and hover formats
are the ones set here; Plotly's script ships inside Streamlit, so nothing is fetched at run time.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from dashboard.platform.formatting import NAIRA, plot_escape

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
# A score judged against two thresholds (compliance): red below the lower, amber between, green from
# the upper. Okabe–Ito's vermillion, orange and bluish green stay apart for colour-blind readers, and
# the pages print each band's words and range beside the colour.
TONE_COLOURS = {"poor": VERMILLION, "middle": ORANGE, "good": GREEN}
# A shape for each band, so a cell says it without colour (plain symbols: every font has them).
TONE_MARKS = {"poor": "\u2717", "middle": "\u25d0", "good": "\u2713"}  # ✗ ◐ ✓
# Pale tints of the same colours behind dark text, for table cells (contrast above 4.5:1).
TONE_TINTS = {"poor": "#f6d3c0", "middle": "#f8e5b8", "good": "#c4e8db"}
TONE_TEXT = {"poor": "red", "middle": "orange", "good": "green"}  # Streamlit's Markdown colour names


def stepped_colourscale(cuts: Sequence[float], colours: Sequence[str], *, low: float = 0, high: float = 100) -> list:
    """A Plotly colourscale of flat bands, hard edges at `cuts` (ascending, one fewer than `colours`)."""
    if len(cuts) != len(colours) - 1:
        raise ValueError("stepped_colourscale needs one cut fewer than colours")
    edges = [0.0, *((min(max(c, low), high) - low) / (high - low) for c in cuts), 1.0]
    scale: list = []
    for colour, start, end in zip(colours, edges, edges[1:], strict=False):
        scale += [[start, colour], [end, colour]]
    return scale


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


# --- Text as text ----------------------------------------------------------------------------------------------
# Every string in a figure is drawn by Plotly's HTML subset, so a name typed as <a href=…> would be a live
# link for every reader. `safe` escapes them all (plot_escape), keeping only what the kit's own words use:
# line breaks, and in hover and text templates the %{…} placeholders and the <extra> box. The builders
# below return safe figures and `show` (and drill.chart) pass every figure through it again, so a page
# that builds or changes a figure itself cannot forget.
_KEPT_IN_TEXT = re.compile(r"(<br\s*/?>)", re.IGNORECASE)
_KEPT_IN_TEMPLATES = re.compile(r"(<br\s*/?>|</?extra>|%\{[^{}]*\})", re.IGNORECASE)
_TEMPLATES = {"hovertemplate", "texttemplate", "hovertemplatefallback", "texttemplatefallback"}
# Strings that are formats or codes, not words: d3 formats may hold "$", and are never drawn as they are.
_CODES = {"separators", "type", "mode"}


def _escape_keeping(text: str, kept: re.Pattern) -> str:
    return "".join(part if i % 2 else plot_escape(part) for i, part in enumerate(kept.split(text)))


def _safe_value(key: str, value: Any) -> Any:
    if isinstance(value, dict) and {"dtype", "bdata"} <= value.keys() <= {"dtype", "bdata", "shape"}:
        # Numbers as Plotly's to_dict packs them; unpacked, so the copy reads like the original (naira_axis).
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    if isinstance(value, str):
        if key in _CODES or key.endswith("format"):
            return value
        return _escape_keeping(value, _KEPT_IN_TEMPLATES if key in _TEMPLATES else _KEPT_IN_TEXT)
    if isinstance(value, dict):
        return {k: _safe_value(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe_value(key, v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return np.array([_safe_value(key, v) for v in value.tolist()], dtype=object)
    return value


def safe(fig: go.Figure) -> go.Figure:
    """A copy of `fig` whose every string is shown as text by Plotly (see above); idempotent."""
    return go.Figure(_safe_value("", fig.to_dict()))


# Plotly's SI suffixes say G for billions, which means nothing to a finance reader: money axes get
# their own ticks, in the words the cards use (₦1.4B, ₦250M, ₦30K).
_MONEY_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def naira_tick(value: float) -> str:
    """₦1B, ₦1.4B, ₦250M, ₦30K, ₦500, -₦2M: a money axis tick, without trailing zeros."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in _MONEY_SUFFIXES:
        if value >= limit:
            return f"{sign}{NAIRA}{value / limit:,.2f}".rstrip("0").rstrip(".") + suffix
    return f"{sign}{NAIRA}{value:,.0f}"


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def naira_ticks(low: float, high: float) -> list[float]:
    """Round tick values that cover low..high (and zero)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        return [0.0]
    step = _nice_step(high - low)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 6) for i in range(first, last + 1)]


def _axis_values(fig: go.Figure, axis: str) -> list[float]:
    """The values drawn against `axis` ("yaxis", "xaxis2", ...), stacked bars summed per category."""
    letter, ref = axis[0], axis[0] + axis[5:]  # "yaxis2" -> "y2"
    other = "x" if letter == "y" else "y"
    stacked = fig.layout.barmode in ("stack", "relative")
    values: list[float] = []
    positive: dict[object, float] = {}
    negative: dict[object, float] = {}
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != ref:
            continue
        mine, theirs = getattr(trace, letter, None), getattr(trace, other, None)
        if mine is None:
            continue
        numbers = [float(v) for v in mine if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if stacked and trace.type == "bar" and theirs is not None:
            for key, v in zip(theirs, mine, strict=False):
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    continue
                bucket = positive if float(v) >= 0 else negative
                bucket[key] = bucket.get(key, 0.0) + float(v)
        else:
            values.extend(numbers)
    return values + list(positive.values()) + list(negative.values())


def naira_axis(fig: go.Figure, axis: str = "yaxis") -> go.Figure:
    """An axis of money: ₦ before abbreviated amounts (₦1.4B, ₦250M, ₦30K), full naira in hover text.

    Call it after the traces are added: the ticks are worked out from them. With no data yet, the
    axis falls back to Plotly's own abbreviations with B for billions.
    """
    values = _axis_values(fig, axis)
    if not values:
        fig.update_layout({axis: {"tickprefix": NAIRA, "exponentformat": "B", "tickformat": ""}})
        return fig
    ticks = naira_ticks(min(values), max(values))
    fig.update_layout({axis: {"tickmode": "array", "tickvals": ticks, "ticktext": [naira_tick(t) for t in ticks]}})
    return fig


def _monthly_axis(fig: go.Figure, frame: pd.DataFrame, x: str) -> None:
    """One tick per month, read "Oct 2026", for monthly points (Plotly would put weekly ticks between two months)."""
    months = pd.to_datetime(pd.Series(frame[x]).dropna().unique())
    if len(months) == 0:
        return
    step = max(1, math.ceil(len(months) / 12))  # at most about a dozen labels
    shown = sorted(months)[::step]
    fig.update_xaxes(tickmode="array", tickvals=list(shown), ticktext=[f"{m:%b %Y}" for m in shown])


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
            hovertemplate=f"%{{{category_axis}}}<br>%{{fullData.name}}: %{{{value_axis}:{hover_format}}}{value_suffix}"
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
    return safe(fig)


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
    period: str = "day",
) -> go.Figure:
    """Lines of one or more series over dates. `period="month"`: one point per month, ticked and hovered
    as "Oct 2026" rather than as days."""
    series = [y] if isinstance(y, str) else list(y)
    date_format = "%b %Y" if period == "month" else "%d %b %Y"
    fig = go.Figure()
    for position, name in enumerate(series):
        fig.add_scatter(
            x=frame[x],
            y=frame[name],
            name=name,
            mode="lines+markers" if len(frame) <= 62 else "lines",
            line={"color": (colours or {}).get(name, PALETTE[position % len(PALETTE)]), "width": 2},
            hovertemplate=f"%{{x|{date_format}}}<br>%{{fullData.name}}: %{{y:{hover_format}}}<extra></extra>",
        )
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=height,
        showlegend=len(series) > 1,
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    if period == "month":
        _monthly_axis(fig, frame, x)
    return safe(fig)


def bars_and_line(
    frame: pd.DataFrame,
    *,
    x: str,
    bars: str,
    line: str,
    title: str,
    x_title: str,
    bars_title: str,
    line_title: str,
    height: int = 340,
) -> go.Figure:
    """Daily bars (e.g. units used) under a line on its own axis (e.g. the stock they leave), over dates:
    two quantities of different sizes that a reader compares day by day."""
    fig = go.Figure()
    fig.add_bar(
        x=frame[x], y=frame[bars], name=bars, marker_color=ORANGE,
        hovertemplate=f"%{{x|%d %b %Y}}<br>{bars}: %{{y:,.0f}}<extra></extra>",
    )  # fmt: skip
    fig.add_scatter(
        x=frame[x], y=frame[line], name=line, yaxis="y2", mode="lines", line={"color": BLUE, "width": 2, "shape": "hv"},
        hovertemplate=f"%{{x|%d %b %Y}}<br>{line}: %{{y:,.0f}}<extra></extra>",
    )  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=height,
        xaxis_title=x_title,
        yaxis={"title": bars_title, "tickformat": ",d", "rangemode": "tozero"},
        yaxis2={"title": line_title, "overlaying": "y", "side": "right", "tickformat": ",d", "rangemode": "tozero",
                "showgrid": False},
    )  # fmt: skip
    return safe(fig)


@dataclass(frozen=True)
class Series:
    """One series of a money chart: its name (legend and hover), its amounts, its colour, and per point what a
    click on it selects (`keys`, the point's customdata: drill.chart hands them to the page's `pick`)."""

    name: str
    values: Sequence[Any]  # Decimal or float naira
    colour: str = BLUE
    keys: Sequence[Any] | None = None


def money_bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    label_title: str | None = None,
    horizontal: bool = False,
    height: int = 360,
    trend: Series | None = None,
) -> go.Figure:
    """Grouped bars of naira over categories (months, hospitals), in one call: the labels kept in their order as
    categories, a money axis (naira_axis), the full amount in hover, and each bar's `keys` for a click.

    `trend`: a line over the same labels drawn on the bars (net beside revenue and expenses), clickable too.
    Draw it with drill.chart to make the clicks select, or with show.
    """
    category, value = ("y", "x") if horizontal else ("x", "y")
    fig = go.Figure()
    for one in series:
        fig.add_bar(
            **{category: list(labels), value: [float(v) for v in one.values]},
            orientation="h" if horizontal else "v",
            name=one.name,
            marker_color=one.colour,
            customdata=None if one.keys is None else [list(k) for k in one.keys],
            hovertemplate=f"%{{{category}}}<br>{one.name}: {NAIRA}%{{{value}:,.2f}}<extra></extra>",
        )
    if trend is not None:
        fig.add_scatter(
            x=list(labels),
            y=[float(v) for v in trend.values],
            name=trend.name,
            mode="lines+markers",
            line={"color": trend.colour, "width": 2},
            customdata=None if trend.keys is None else [list(k) for k in trend.keys],
            hovertemplate=f"%{{x}}<br>{trend.name}: {NAIRA}%{{y:,.2f}}<extra></extra>",
        )
    fig.update_layout(
        {
            f"{category}axis": {"type": "category", "title": label_title}
            | ({"autorange": "reversed"} if horizontal else {}),
            f"{value}axis": {"title": "Naira"},
        },
        template=TEMPLATE,
        title=title,
        barmode="group",
        height=height,
        showlegend=len(series) + (trend is not None) > 1,
    )
    return safe(naira_axis(fig, f"{value}axis"))


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
    return safe(fig)


def show(fig: go.Figure, *, key: str | None = None) -> None:
    """Draw with our template (not Streamlit's theme), without Plotly's logo or cloud buttons, every
    string in it shown as text."""
    st.plotly_chart(
        safe(fig),
        theme=None,
        key=key,
        config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"], "responsive": True},
    )
