"""A grid of states: one row per person, one column per slot or day, each cell coloured by what it is.

The Appointments schedule draws physicians' hours with it (outside hours, free, booked, booked outside
hours, on leave): categories, not amounts, so each has its own colour and a legend entry that names it,
and hover says the same words. Colours come from the kit's palette (colour-blind safe), and a text label
can mark cells too ("Leave", "3/10"), so a state never rests on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard.kit.charts import TEMPLATE, safe


def state_grid(
    *,
    columns: Sequence[str],
    rows: Sequence[str],
    states: Sequence[Sequence[int]],
    legend: Sequence[tuple[str, str]],
    hover: Sequence[Sequence[str]],
    title: str,
    labels: Sequence[Sequence[str]] | None = None,
) -> go.Figure:
    """`states[r][c]` indexes `legend`, a (name, colour) per state; every state shown is named in the legend."""
    count = len(legend)
    # A stepped colour scale: state i fills the band around i / (count - 1), so each state keeps one colour.
    scale: list = []
    for i, (_, colour) in enumerate(legend):
        scale += [[i / count, colour], [(i + 1) / count, colour]]
    fig = go.Figure(
        go.Heatmap(
            x=list(columns),
            y=list(rows),
            z=[[state + 0.5 for state in row] for row in states],
            zmin=0,
            zmax=count,
            colorscale=scale,
            showscale=False,
            xgap=2,
            ygap=2,
            customdata=[list(r) for r in hover],
            hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>",
            text=[list(r) for r in labels] if labels is not None else None,
            texttemplate="%{text}" if labels is not None else None,
            textfont={"size": 11},
        )
    )
    shown = {state for row in states for state in row}
    for i, (name, colour) in enumerate(legend):  # legend entries only: a square of each state's colour
        if i in shown:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, showlegend=True,
                                     marker={"symbol": "square", "size": 12, "color": colour}))  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=max(240, 110 + 28 * len(rows)),
        xaxis={"side": "top", "type": "category", "gridcolor": "rgba(0,0,0,0)"},
        yaxis={"autorange": "reversed", "type": "category", "gridcolor": "rgba(0,0,0,0)"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0},
        margin={"l": 10, "r": 10, "t": 90, "b": 40},
    )
    return safe(fig)
