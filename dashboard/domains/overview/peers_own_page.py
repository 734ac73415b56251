"""Peers for one hospital: its own figures beside its peer group's medians, never another hospital's figures.

The service (overview/peers.py) hands a hospital's actor its own row alone; this shows it: the group in words
(widened to the type when its band is too small), a card a figure with its gap to the median, the dot plot and
the table of the five figures.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.overview import peers
from dashboard.domains.overview.peers_dots_page import dot_plot, gap_text, pick_figure, standing_text, value_text
from dashboard.kit import kpi, listing, say
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform import figures
from dashboard.platform.formatting import count, md_escape


def _hospital_cards(ctx: PageContext, own: peers.HospitalPeers) -> None:
    cards = []
    for f in peers.PEER_FIGURES:
        c = own.comparison(f.key)
        median = value_text(f.key, c.median, short=True)
        cards.append(kpi.figure_card(
            f.key, value_text(f.key, c.value, short=True), label=f.label,
            # "+0.3 vs 4.2 days": the unit said once, so the delta fits a card a fifth of 1,400 px wide.
            delta=None if c.gap is None else f"{gap_text(f.key, c.gap, minus='-').removesuffix(' days')} vs {median}",
            delta_color="normal" if f.higher_is_better else "inverse",
            help_extra=f"Against the median of your peer group ({median}); {f.better.lower()}.",
        ))  # fmt: skip
    kpi.card_row(ctx.viewer, cards, per_row=len(cards))


def _own_table(own: peers.HospitalPeers) -> None:
    table = Table([
        Column("Figure", lambda f: f.label),
        Column("Your hospital", lambda f: value_text(f.key, own.comparison(f.key).value)),
        Column("Peer median", lambda f: value_text(f.key, own.comparison(f.key).median)),
        Column("Standing", lambda f: standing_text(own.comparison(f.key))),
        Column("Which is better", lambda f: f.better),
    ])  # fmt: skip
    help_of = {"Peer median": figures.figure("peer_median").help, "Standing": figures.figure("peer_gap").help}
    listing.page_table(table.frame(list(peers.PEER_FIGURES), network_wide=False),
                       {label: st.column_config.TextColumn(help=text) for label, text in help_of.items()})  # fmt: skip


def show(ctx: PageContext, own: peers.HospitalPeers) -> None:
    """The hospital's figures against its peers' medians; a sentence when it has too few peers."""
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
    key = pick_figure(ctx)
    dot_plot(ctx, [own], key, own_only=True)
    st.subheader("Your figures against your peers")
    _own_table(own)
