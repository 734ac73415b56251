"""A banded heat map: rows by columns of scores, each cell in the colour of its band, one call.

    heatmap.banded(rows=[(name, key), ...], columns=[...], cell=lambda key, column: cell or None,
                   bands=[Band(lower=0, upper=59, colour=..., mark="✗", word="Non-compliant", range="below 60"), ...],
                   title="Current score by hospital and type (0–100)", scale_title="Score band")

Hard edges at the bands' thresholds (a stepped colour scale), a mark in each cell as well as a
colour (colour is never the only signal), the column names wrapped level above the columns, and the
bands named in the colour bar. The figure goes through charts.safe: every name in it is shown as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from dashboard.kit import charts


@dataclass(frozen=True)
class Band:
    lower: int  # the lowest whole value in the band
    upper: int  # the highest, inclusive
    colour: str
    mark: str  # a shape that says the band without colour
    word: str
    range: str  # the band's range in words: "60–84"


@dataclass(frozen=True)
class Cell:
    value: int | None
    hover: str  # what the cell's hover says after its row and column


def wrap(text: str, width: int = 16) -> str:
    """A column label on lines of about `width` characters, for a chart."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _band(bands: Sequence[Band], value: int | None) -> Band | None:
    return None if value is None else next((b for b in bands if b.lower <= value <= b.upper), None)


def banded(
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    cell: Callable[[int, str], Cell | None],
    bands: Sequence[Band],
    title: str,
    scale_title: str,
    empty_hover: str = "not assessed",
    low: int = 0,
    high: int = 100,
) -> go.Figure:
    """`rows` top to bottom, `columns` left to right; `cell(row_index, column)` is a cell, or None for none."""
    ordered = sorted(bands, key=lambda b: b.lower)
    z, labels, hover = [], [], []
    for index in range(len(rows)):
        row = [cell(index, c) for c in columns]
        z.append([c.value if c else None for c in row])
        labels.append(["" if c is None or (b := _band(ordered, c.value)) is None else f"{c.value} {b.mark}"
                       for c in row])  # fmt: skip
        hover.append([empty_hover if c is None else c.hover for c in row])
    # The edges sit half a point below each band's lowest whole value.
    scale = charts.stepped_colourscale([b.lower - 0.5 for b in ordered[1:]], [b.colour for b in ordered],
                                       low=low, high=high)  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            x=list(columns), y=list(rows), z=z, zmin=low, zmax=high, text=labels, texttemplate="%{text}",
            customdata=hover, hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>", xgap=2, ygap=2,
            colorscale=scale, textfont={"size": 12, "color": charts.TEXT},  # dark text reads on every band
            colorbar={"title": {"text": scale_title}, "thickness": 12,
                      "tickvals": [(b.lower + b.upper) / 2 for b in ordered],
                      "ticktext": [f"{b.mark} {b.word}<br>{b.range}" for b in ordered]},
        )
    )  # fmt: skip
    # The column names sit level above the columns, wrapped onto short lines, and the title is pinned to
    # the top of the figure with room for them below it: angled names ran up into the title.
    wrapped = [wrap(c) for c in columns]
    top = 60 + 17 * max((w.count("<br>") + 1 for w in wrapped), default=1)
    fig.update_layout(
        template=charts.TEMPLATE,
        title={"text": title, "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 10}},
        height=max(260, top + 20 + 26 * len(rows)),
        xaxis={"side": "top", "type": "category", "gridcolor": "rgba(0,0,0,0)", "tickangle": 0,
               "tickvals": list(columns), "ticktext": wrapped},
        yaxis={"autorange": "reversed", "type": "category", "gridcolor": "rgba(0,0,0,0)"},
        margin={"l": 10, "r": 10, "t": top, "b": 10},
    )  # fmt: skip
    return charts.safe(fig)
