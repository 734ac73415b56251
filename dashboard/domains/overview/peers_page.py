"""Peers: each hospital's figures beside the median of hospitals of its type and size, the furthest behind first.

Network scope: cards (hospitals compared, peer groups, how many are behind their peers), a dot plot of the
chosen figure (each hospital's value against its group's median) and the table of every hospital's gaps, the
worst laggards first, each gap marked and tinted behind, in line or ahead. A hospital's scope: its own figures
beside its group's medians, never another hospital's name or figure (overview/peers.py).
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.overview import peers, peers_own_page
from dashboard.domains.overview.peers_dots_page import dot_plot, gap_text, pick_figure
from dashboard.kit import kpi, say
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform import figures
from dashboard.platform.formatting import count, md_escape
from dashboard.shell import data

SHOWN = 50  # hospitals in the table and the chart at once: the furthest behind
TINTS = {peers.BEHIND: "#f8e5b8", peers.AHEAD: "#dcebf7", peers.IN_LINE: "", peers.NO_FIGURE: ""}


def _cell(key: str):
    """A table cell: the mark and the gap ("▼ −30.0 pts"), its tint the standing's colour (the legend names both)."""

    def cell(h: peers.HospitalPeers) -> str:
        c = h.comparison(key)
        if not h.compared or c.standing == peers.NO_FIGURE:
            return "—"
        return f"{peers.STANDING_MARKS[c.standing]} {gap_text(key, c.gap)}"

    return cell


NETWORK_TABLE = Table([
    Column("Hospital", "hospital_name"),
    Column("Peer group", lambda h: h.short_group),
    Column("Behind on", lambda h: f"{h.behind} of {h.with_figures}" if h.compared else "—"),
    *(Column(f.column, _cell(f.key)) for f in peers.PEER_FIGURES),
])  # fmt: skip
# Each figure's column explains itself with its definition and the gap's (the catalogue's words).
COLUMNS = {"Hospital": st.column_config.TextColumn(width=240),
           "Peer group": st.column_config.TextColumn(width=165, help=figures.figure("peer_median").help),
           "Behind on": st.column_config.TextColumn(width=62, help=figures.figure("behind_peers").definition)} | {
    f.column: st.column_config.TextColumn(width=86, help=f"{f.spec.definition} {figures.figure('peer_gap').definition}")
    for f in peers.PEER_FIGURES}  # fmt: skip


def _tinted(rows: list[peers.HospitalPeers]):
    frame = NETWORK_TABLE.frame(rows, network_wide=True)
    labels = [f.column for f in peers.PEER_FIGURES]

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
        kpi.figure_card("peers_compared", count(len(compared))),
        kpi.figure_card("peer_groups", count(view.groups)),
        kpi.figure_card("behind_peers", count(lagging),
                        status=kpi.Status.ATTENTION if lagging else kpi.Status.NORMAL,
                        status_note=f"behind on {peers.LAGGING_AT}+ of {len(peers.PEER_FIGURES)} figures"),
        kpi.figure_card("peers_not_compared", count(left_out)),
    ])  # fmt: skip


def _legend() -> None:
    marks = peers.STANDING_MARKS
    st.caption(
        f"{marks[peers.BEHIND]} Behind (orange tint), {marks[peers.IN_LINE]} in line (within "
        f"{peers.IN_LINE_SHARE:.0%} of the median), {marks[peers.AHEAD]} ahead (blue tint), by which way each figure "
        "is better: higher occupancy, revenue per bed and compliance score, shorter stays and fewer no-shows. A gap "
        "is the hospital's figure less its peer median. Occupancy is now, the compliance score each hospital's "
        "latest assessments; stays, no-shows and revenue per bed cover the date range."
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
        peers_own_page.show(ctx, view.hospitals[0])
    _legend()


def _network(ctx: PageContext, view: peers.PeerView) -> None:
    _network_cards(ctx, view)
    st.subheader("Against their peers")
    key = pick_figure(ctx)
    dot_plot(ctx, view.hospitals[:SHOWN], key, own_only=False)
    st.subheader("Every hospital's gaps, the furthest behind first")
    rows = view.hospitals[:SHOWN]
    st.dataframe(_tinted(rows), hide_index=True, width="stretch", height="content", column_config=COLUMNS)
    if len(view.hospitals) > SHOWN:
        st.caption(f"The {SHOWN} furthest behind of {count(len(view.hospitals))} hospitals.")
    widened = sorted({h.group_label for h in view.hospitals if h.widened and h.compared})
    if widened:
        st.caption("Fewer than 3 hospitals of their type and size, so compared with their whole type: "
                   + "; ".join(md_escape(g) for g in widened) + ".")  # fmt: skip
