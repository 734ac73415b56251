"""Peers: each hospital's figures beside the median of hospitals of its type and size, the furthest behind first.

Network scope: cards (hospitals compared, peer groups, how many are behind their peers), a dot plot of the
chosen figure (each hospital's value against its group's median) and the table of every hospital's gaps, the
worst laggards first, each gap marked and tinted behind, in line or ahead. A hospital's scope: its own figures
beside its group's medians, never another hospital's name or figure (overview/peers.py).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.domains.overview import peers
from dashboard.kit import charts, kpi, listing, say
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform import figures
from dashboard.platform.formatting import count, md_escape, naira, naira_short, plot_escape
from dashboard.shell import data

SHOWN = 50  # hospitals in the table and the chart at once: the furthest behind
COLOURS = {peers.BEHIND: charts.ORANGE, peers.IN_LINE: charts.GREY, peers.AHEAD: charts.BLUE,
           peers.NO_FIGURE: charts.GREY}  # fmt: skip
TINTS = {peers.BEHIND: "#f8e5b8", peers.AHEAD: "#dcebf7", peers.IN_LINE: "", peers.NO_FIGURE: ""}


def value_text(key: str, value: float | None, *, short: bool = False) -> str:
    """A figure's value in its unit: 66.7%, 4.2 days, ₦3,203,678.60 (₦3.2M on a card), 75.7."""
    if value is None:
        return "—"
    unit = figures.figure(key).unit
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "days":
        return f"{value:,.1f} days"
    if unit == "naira":
        return naira_short(value) if short else naira(value)
    return f"{value:,.1f}"


def gap_text(key: str, gap: float | None) -> str:
    """A gap in the figure's unit, signed: −6.7 pts, +0.3 days, −₦215,745.90, −5.9."""
    if gap is None:
        return "—"
    sign = "+" if gap >= 0 else "\u2212"
    unit = figures.figure(key).unit
    if unit == "percent":
        return f"{sign}{abs(gap):.1f} pts"
    if unit == "days":
        return f"{sign}{abs(gap):,.1f} days"
    if unit == "naira":
        return f"{sign}{naira_short(abs(gap))}"
    return f"{sign}{abs(gap):,.1f}"


def standing_text(comparison: peers.Comparison) -> str:
    standing = comparison.standing
    words = f"{peers.STANDING_MARKS[standing]} {peers.STANDING_WORDS[standing]}"
    return words if standing == peers.NO_FIGURE else f"{words} {gap_text(comparison.figure, comparison.gap)}"


def _cell(key: str):
    return lambda h: standing_text(h.comparison(key)) if h.compared else "Too few peers"


NETWORK_TABLE = Table([
    Column("Hospital", "hospital_name"),
    Column("Peer group", lambda h: f"{h.group_label} ({count(h.members)})"),
    Column("Behind on", lambda h: f"{h.behind} of {h.with_figures}" if h.compared else "—"),
    *(Column(f.label, _cell(f.key)) for f in peers.PEER_FIGURES),
])  # fmt: skip
WIDTHS = {"Hospital": 200, "Peer group": 215, "Behind on": 75}


def _tinted(rows: list[peers.HospitalPeers]):
    frame = NETWORK_TABLE.frame(rows, network_wide=True)
    labels = [f.label for f in peers.PEER_FIGURES]

    def tint(column):
        key = peers.PEER_FIGURES[labels.index(column.name)].key
        return [f"background-color: {TINTS[h.comparison(key).standing]}" if TINTS[h.comparison(key).standing]
                else "" for h in rows]  # fmt: skip

    return frame.style.apply(tint, subset=labels)


def _network_cards(ctx: PageContext, view: peers.PeerView) -> None:
    compared = view.compared
    lagging = sum(h.behind >= peers.LAGGING_AT for h in compared)
    left_out = view.untyped + len(view.hospitals) - len(compared)
    kpi.card_row(ctx.viewer, [
        kpi.Card("Hospitals compared", count(len(compared)),
                 help="Active hospitals with a facility type and beds, in a peer group of at least 3."),
        kpi.Card("Peer groups", count(view.groups),
                 help="Groups of hospitals of one facility type and size band (or the whole type when the band "
                      "holds fewer than 3)."),
        kpi.figure_card("behind_peers", count(lagging),
                        status=kpi.Status.ATTENTION if lagging else kpi.Status.NORMAL,
                        status_note=f"behind on {peers.LAGGING_AT}+ of {len(peers.PEER_FIGURES)} figures"),
        kpi.Card("Not compared", count(left_out),
                 help="Active hospitals with no facility type recorded, no beds counted, or fewer than 3 of their "
                      "type."),
    ])  # fmt: skip


def _hospital_cards(ctx: PageContext, own: peers.HospitalPeers) -> None:
    cards = []
    for f in peers.PEER_FIGURES:
        c = own.comparison(f.key)
        cards.append(kpi.figure_card(
            f.key, value_text(f.key, c.value, short=True),
            delta=None if c.gap is None else gap_text(f.key, c.gap),
            delta_description=f"vs peer median {value_text(f.key, c.median, short=True)}",
            delta_color="normal" if f.higher_is_better else "inverse",
        ))  # fmt: skip
    kpi.card_row(ctx.viewer, cards, per_row=len(cards))


def _pick_figure(ctx: PageContext) -> str:
    keys = [f.key for f in peers.PEER_FIGURES]
    chosen = st.segmented_control(
        "Figure", keys, default=keys[0], format_func=lambda k: peers.FIGURE_BY_KEY[k].label, key=f"{ctx.key}_figure",
        help="The figure the chart draws: each hospital's value against its peer group's median.",
    )  # fmt: skip
    return chosen or keys[0]


def _dot_plot(ctx: PageContext, rows: list[peers.HospitalPeers], key: str, *, own_only: bool) -> None:
    """Each hospital's value (a dot coloured by its standing) beside its group's median (a grey bar)."""
    spec, better = figures.figure(key), peers.FIGURE_BY_KEY[key].better
    shown = [h for h in rows if h.compared and h.comparison(key).value is not None]
    if not shown:
        say.info(f"No hospital here has a {spec.label.lower()} to compare over {ctx.period.label}. "
                 "Pick a longer range in the sidebar.")  # fmt: skip
        return
    names = [plot_escape(h.hospital_name) for h in shown]
    fig = go.Figure()
    fig.add_scatter(
        x=[h.comparison(key).median for h in shown], y=names, mode="markers", name="Peer median",
        marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3, "color": charts.GREY}},
        customdata=[[plot_escape(h.group_label), value_text(key, h.comparison(key).median)] for h in shown],
        hovertemplate="%{y}<br>Median of %{customdata[0]}: %{customdata[1]}<extra></extra>",
    )  # fmt: skip
    for standing in (peers.BEHIND, peers.IN_LINE, peers.AHEAD):
        group = [h for h in shown if h.comparison(key).standing == standing]
        if not group:
            continue
        fig.add_scatter(
            x=[h.comparison(key).value for h in group], y=[plot_escape(h.hospital_name) for h in group],
            mode="markers", name=f"{peers.STANDING_MARKS[standing]} {peers.STANDING_WORDS[standing]}",
            marker={"size": 12, "color": COLOURS[standing], "symbol": {peers.BEHIND: "triangle-down",
                    peers.AHEAD: "triangle-up"}.get(standing, "circle")},
            customdata=[[value_text(key, h.comparison(key).value), gap_text(key, h.comparison(key).gap)]
                        for h in group],
            hovertemplate="%{y}: %{customdata[0]} (%{customdata[1]} against the median)<extra></extra>",
        )  # fmt: skip
    where = "Your hospital" if own_only else "Each hospital"
    fig.update_layout(
        template=charts.TEMPLATE, height=150 + 28 * len(shown),
        title=f"{spec.label}: {where.lower()} against its peer median ({better.lower()})",
        xaxis_title=f"{spec.label} ({_unit_words(key)})", yaxis={"autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )  # fmt: skip
    if spec.unit == "naira":
        charts.naira_axis(fig, "xaxis")
    charts.show(fig, key=f"{ctx.key}_chart")


def _unit_words(key: str) -> str:
    return {"percent": "%", "days": "days", "naira": "₦", "score": "out of 100"}.get(figures.figure(key).unit, "")


def _own_table(own: peers.HospitalPeers) -> None:
    table = Table([
        Column("Figure", lambda f: f.label),
        Column("Your hospital", lambda f: value_text(f.key, own.comparison(f.key).value)),
        Column("Peer median", lambda f: value_text(f.key, own.comparison(f.key).median)),
        Column("Standing", lambda f: standing_text(own.comparison(f.key))),
        Column("Which is better", lambda f: f.better),
    ])  # fmt: skip
    listing.page_table(table.frame(list(peers.PEER_FIGURES), network_wide=False))


def _legend() -> None:
    st.caption(
        f"{peers.STANDING_MARKS[peers.BEHIND]} Behind (orange), {peers.STANDING_MARKS[peers.IN_LINE]} in line (within "
        f"{peers.IN_LINE_SHARE:.0%} of the median, grey), {peers.STANDING_MARKS[peers.AHEAD]} ahead (blue), by which "
        "way each figure is better: higher occupancy, revenue per bed and compliance score, shorter stays and fewer "
        "no-shows. A gap is the hospital's figure less its peer median. Occupancy is now, the compliance score each "
        "hospital's latest assessments; stays, no-shows and revenue per bed cover the date range."
    )


def render(ctx: PageContext) -> None:
    period = ctx.period
    ctx.header(
        f"Each hospital beside the median of hospitals of its type and size, over {period.label}; the furthest "
        "behind first." if ctx.network_wide else
        f"Your hospital beside the median of hospitals of its type and size, over {period.label}."
    )  # fmt: skip
    view = data.cached(peers.peer_comparison, ctx.actor, start=period.start, end=period.end)
    if not view.hospitals:
        say.info(
            "No hospital in this scope has its facility type recorded (teaching, federal medical centre, general, "
            "specialist or private clinic) with beds counted on Resources & beds, so none can be compared with "
            "its peers yet. Ask a network administrator to record each hospital's type."
        )
        return
    if ctx.network_wide:
        _network(ctx, view)
    else:
        _own(ctx, view.hospitals[0])
    _legend()


def _network(ctx: PageContext, view: peers.PeerView) -> None:
    _network_cards(ctx, view)
    st.subheader("Against their peers")
    key = _pick_figure(ctx)
    _dot_plot(ctx, view.hospitals[:SHOWN], key, own_only=False)
    st.subheader("Every hospital's gaps, the furthest behind first")
    rows = view.hospitals[:SHOWN]
    st.dataframe(_tinted(rows), hide_index=True, width="stretch", height="content",
                 column_config={k: st.column_config.TextColumn(width=w) for k, w in WIDTHS.items()})  # fmt: skip
    if len(view.hospitals) > SHOWN:
        st.caption(f"The {SHOWN} furthest behind of {count(len(view.hospitals))} hospitals.")
    widened = sorted({h.group_label for h in view.hospitals if h.widened and h.compared})
    if widened:
        st.caption("Fewer than 3 hospitals of their type and size, so compared with their whole type: "
                   + "; ".join(md_escape(g) for g in widened) + ".")  # fmt: skip


def _own(ctx: PageContext, own: peers.HospitalPeers) -> None:
    if not own.compared:
        say.info(f"Fewer than {peers.MIN_PEERS} active hospitals of your type ({peers.TYPE_WORDS[own.facility_type]}) "
                 "are on the network, so your hospital has no peers to be compared with yet.")  # fmt: skip
        return
    group = f"{md_escape(own.group_label)}: {count(own.members)} hospitals, yours included"
    if own.widened:
        group += (f". Fewer than {peers.MIN_PEERS} of your type have {peers.SIZE_BANDS[own.size_band][1]}, so the "
                  "group is your whole type")  # fmt: skip
    st.caption(f"Peer group: {group}. Only the group's medians are shown, never another hospital's figures.")
    _hospital_cards(ctx, own)
    key = _pick_figure(ctx)
    _dot_plot(ctx, [own], key, own_only=True)
    st.subheader("Your figures against your peers")
    _own_table(own)
