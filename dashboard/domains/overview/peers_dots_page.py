"""Peers' shared parts: figures in their units, the figure picker and the dot plot (each hospital against its median).

Read by the network's view (peers_page) and a hospital's own (peers_own_page).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.domains.overview import peers
from dashboard.kit import charts, say
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import naira, naira_short

COLOURS = {peers.BEHIND: charts.ORANGE, peers.IN_LINE: charts.GREY, peers.AHEAD: charts.BLUE,
           peers.NO_FIGURE: charts.GREY}  # fmt: skip
UNIT_WORDS = {"percent": "%", "days": "days", "naira": "₦", "score": "out of 100"}


def value_text(key: str, value: float | None, *, short: bool = False) -> str:
    """A figure's value in its unit: 66.7%, 4.2 days, ₦3,203,678.60 (₦3.2M on a card), 75.7."""
    if value is None:
        return "—"
    unit = peers.FIGURE_BY_KEY[key].spec.unit
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "days":
        return f"{value:,.1f} days"
    if unit == "naira":
        return naira_short(value) if short else naira(value)
    return f"{value:,.1f}"


def gap_text(key: str, gap: float | None, *, minus: str = "\u2212") -> str:
    """A gap in the figure's unit, signed: −6.7 pts, +0.3 days, −₦215.7K, −5.9 (a card's delta takes "-")."""
    if gap is None:
        return "—"
    sign = minus if gap < 0 and abs(gap) >= 0.05 else "+"  # what rounds to zero reads +0.0, never −0.0
    unit = peers.FIGURE_BY_KEY[key].spec.unit
    if unit == "percent":
        return f"{sign}{abs(gap):.1f} pts"
    if unit == "days":
        return f"{sign}{abs(gap):,.1f} days"
    if unit == "naira":
        return f"{sign}{naira_short(abs(gap))}"
    return f"{sign}{abs(gap):,.1f}"


def standing_text(comparison: peers.Comparison) -> str:
    """The mark, the word and the gap: "▼ Behind −30.0 pts"."""
    standing = comparison.standing
    words = f"{peers.STANDING_MARKS[standing]} {peers.STANDING_WORDS[standing]}"
    return words if standing == peers.NO_FIGURE else f"{words} {gap_text(comparison.figure, comparison.gap)}"


def pick_figure(ctx: PageContext) -> str:
    keys = [f.key for f in peers.PEER_FIGURES]
    chosen = st.segmented_control(
        "Figure", keys, default=keys[0], format_func=lambda k: peers.FIGURE_BY_KEY[k].label, key=f"{ctx.key}_figure",
        help="The figure the chart draws: each hospital's value against its peer group's median.",
    )  # fmt: skip
    return chosen or keys[0]


def dot_plot(ctx: PageContext, rows: list[peers.HospitalPeers], key: str, *, own_only: bool) -> None:
    """Each hospital's value (a dot coloured by its standing) beside its group's median (a grey bar)."""
    chosen = peers.FIGURE_BY_KEY[key]
    spec, label, better = chosen.spec, chosen.label, chosen.better
    shown = [h for h in rows if h.compared and h.comparison(key).value is not None]
    if not shown:
        say.info(f"No hospital here has a {label.lower()} to compare over {ctx.period.label}. "
                 "Pick a longer range in the sidebar.")  # fmt: skip
        return
    names = [h.hospital_name for h in shown]  # charts.show escapes every text of the figure
    fig = go.Figure()
    fig.add_scatter(
        x=[h.comparison(key).median for h in shown], y=names, mode="markers", name="Peer median",
        marker={"symbol": "line-ns-open", "size": 22, "color": charts.TEXT, "line": {"width": 3, "color": charts.TEXT}},
        customdata=[[h.group_label, value_text(key, h.comparison(key).median)] for h in shown],
        hovertemplate="%{y}<br>Median of %{customdata[0]}: %{customdata[1]}<extra></extra>",
    )  # fmt: skip
    for standing in (peers.BEHIND, peers.IN_LINE, peers.AHEAD):
        group = [h for h in shown if h.comparison(key).standing == standing]
        if not group:
            continue
        fig.add_scatter(
            x=[h.comparison(key).value for h in group], y=[h.hospital_name for h in group],
            mode="markers", name=peers.STANDING_WORDS[standing],
            marker={"size": 12, "color": COLOURS[standing], "symbol": {peers.BEHIND: "triangle-down",
                    peers.AHEAD: "triangle-up"}.get(standing, "circle")},
            customdata=[[value_text(key, h.comparison(key).value), gap_text(key, h.comparison(key).gap)]
                        for h in group],
            hovertemplate="%{y}: %{customdata[0]} (%{customdata[1]} against the median)<extra></extra>",
        )  # fmt: skip
    where = "Your hospital" if own_only else "Each hospital"
    fig.update_layout(
        template=charts.TEMPLATE, height=150 + 28 * len(shown),
        title=f"{label}: {where.lower()} against its peer median ({better.lower()})",
        xaxis_title=f"{label} ({UNIT_WORDS.get(spec.unit, '')})", yaxis={"autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )  # fmt: skip
    if spec.unit == "naira":
        charts.naira_axis(fig, "xaxis")
    charts.show(fig, key=f"{ctx.key}_chart")
