"""The ward TV view: a paired wall screen's big numbers, re-read every live_refresh_seconds.

Opened only by a paired screen (shell/screen_gate.py; no staff role opens it). No sidebar, no menu, no
control: free beds (in all and by ward), patients waiting, the longest wait, referrals awaiting an answer
and open emergencies, each from the figure catalogue's own function (floor/ward_screen_figures.py), with
the catalogue's label and definition. Type large enough to read across a ward; white on black.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard.domains.floor import ward_screen_figures
from dashboard.kit.page import PageContext
from dashboard.platform import figures
from dashboard.platform.dates import LAGOS
from dashboard.platform.formatting import count, md_escape, minutes_words
from dashboard.shell import data, screen_gate
from dashboard.shell.gate import live_fragment, live_refresh_seconds
from dashboard.shell.screen_gate import VIEW_STYLE

WARD_TILES = 12  # two rows of six fit a 1366x768 screen under the headline numbers
TV_STYLE = """<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background-color: #000 !important; }
.stApp h1, .stApp h2, .stApp p, .stApp span, [data-testid="stMetricValue"] div { color: #fff; }
.stApp [data-testid="stCaptionContainer"] p { color: #d8d8d8; font-size: clamp(1rem, 1.1vw, 1.4rem); }
.stApp h1 { font-size: clamp(2rem, 2.4vw, 3rem); padding: 0 0 0.2rem 0; }
.stApp h2 { font-size: clamp(1.3rem, 1.5vw, 1.9rem); padding: 0.4rem 0 0.2rem 0; }
[class*="st-key-ward_screen_tile"] { border: 2px solid #a0a0a0 !important; border-radius: 0.6rem; padding: 0.8rem; }
.st-key-ward_screen_headline [class*="st-key-ward_screen_tile"] {
  min-height: calc(min(max(3.4rem, 4.6vw), 6rem) * 1.05 + 6.8rem); }
[data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] p { font-size: clamp(1.05rem, 1.25vw, 1.7rem); color: #f0f0f0; }
[data-testid="stMetricValue"] div { font-size: clamp(3.4rem, 4.6vw, 6rem); line-height: 1.05; font-weight: 700; }
.st-key-ward_screen_wards [data-testid="stMetricValue"] div { font-size: clamp(2.2rem, 2.6vw, 3.4rem); }
.st-key-ward_screen_wards [data-testid="stMetricLabel"] p { font-size: clamp(0.95rem, 1vw, 1.3rem); }
.st-key-ward_screen_alarm p { color: #ffb000 !important; font-weight: 700; font-size: 1.3rem; }
</style>"""


def render(ctx: PageContext) -> None:
    # Both style sheets are constants of their modules: no user or database text reaches this HTML.
    st.html(VIEW_STYLE + TV_STYLE)
    _live_view(ctx)


def _tile(figure: str, value: str, *, note: str | None = None, alarm: bool = False) -> None:
    spec = figures.figure(figure)
    with st.container(key=f"ward_screen_tile_{figure}"):
        st.metric(spec.label, value, help=spec.help)
        if note:
            with st.container(key="ward_screen_alarm" if alarm else None):
                st.markdown(note)


@live_fragment(live=True)
def _live_view(ctx: PageContext) -> None:
    screen = screen_gate.screen_of(ctx.viewer)
    department = screen.department if screen else None
    shown = data.call(ward_screen_figures.screen_figures, ctx.actor, department=department)
    updated = datetime.now(LAGOS)
    st.markdown(f"# {md_escape(ctx.viewer.scope_label)}")
    where = md_escape(ctx.viewer.user.name) + (f" · {md_escape(department)} waiting" if department else "")
    st.caption(f"{where} · Updated {updated:%H:%M:%S} (Lagos time) · refreshes every {live_refresh_seconds():g} s")
    tiles = st.container(key="ward_screen_headline").columns(5)  # equal heights, the critical note or not
    with tiles[0]:
        _tile("free_beds", count(shown.free_beds))
    with tiles[1]:
        _tile("patients_waiting", count(shown.patients_waiting))
    with tiles[2]:
        _tile("longest_wait_now", minutes_words(shown.longest_wait_minutes))
    with tiles[3]:
        _tile("referrals_awaiting", count(shown.referrals_awaiting))
    with tiles[4]:
        critical = shown.critical_emergencies
        _tile("open_emergencies", count(shown.open_emergencies),
              note=f"⚠ {count(critical)} critical" if critical else None, alarm=bool(critical))  # fmt: skip
    _wards(shown.wards)


def _wards(wards: list[ward_screen_figures.WardFree]) -> None:
    st.markdown("## Free beds by ward")
    if not wards:
        st.caption("This hospital has no beds recorded yet. They appear here once Resources & beds lists them.")
        return
    shown, rest = wards[:WARD_TILES], wards[WARD_TILES:]
    with st.container(key="ward_screen_wards"):
        for start in range(0, len(shown), 6):
            for index, (column, ward) in enumerate(zip(st.columns(6), shown[start : start + 6], strict=False)):
                with column.container(key=f"ward_screen_tile_ward_{start + index}"):
                    st.metric(md_escape(ward.ward), count(ward.free), help=f"Free of {count(ward.usable)} usable beds.")
    if rest:
        st.caption(f"And {len(rest)} more wards with {count(sum(w.free for w in rest))} free beds between them.")
