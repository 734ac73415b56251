"""The bed board's grid: one ward's beds in rows, each coloured by its state, with its patient and its time so.

Drawn with Streamlit's own elements (a bordered box and a coloured badge per bed): a name or a reason is
shown as plain text (st.text) or escaped Markdown, never as HTML.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.floor import bed_board
from dashboard.domains.floor.bed_board import STATE_WORDS, BoardBed, WardStates
from dashboard.kit import kpi
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import count, md_escape

PER_ROW = 6  # beds a row at 1400 px: wide enough for a patient's name on one or two lines
# A state's badge colour and icon; the legend says the same in words.
LOOK = {
    "free": ("green", ":material/check_circle:"),
    "occupied": ("blue", ":material/personal_injury:"),
    "reserved": ("violet", ":material/bookmark:"),
    "cleaning": ("orange", ":material/cleaning_services:"),
    "blocked": ("red", ":material/block:"),
}


def since(hours: float) -> str:
    """'40 min', '5 h', '3 d': how long a bed has been in its state, short enough for a grid cell."""
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    return f"{hours:,.0f} h" if hours < 48 else f"{hours / 24:,.0f} d"


def legend() -> None:
    columns = st.columns(len(LOOK))
    for column, (state, (colour, icon)) in zip(columns, LOOK.items(), strict=True):
        with column:
            st.badge(STATE_WORDS[state], icon=icon, color=colour)


def _cards(ctx: PageContext, ward: WardStates) -> None:
    extra = f"{count(ward.total)} beds in {ward.ward}."
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("board_free_beds", count(ward.free), label="Free", help_extra=extra),
        kpi.figure_card("board_occupied_beds", count(ward.occupied), label="Occupied", help_extra=extra),
        kpi.figure_card("board_cleaning_beds", count(ward.cleaning), label="Being cleaned", help_extra=extra),
        kpi.figure_card("board_blocked_beds", count(ward.blocked), label="Blocked", help_extra=extra),
    ])  # fmt: skip


def _bed(bed: BoardBed) -> None:
    """One bed: its number on a badge of its state's colour, who is in it or why not, and for how long."""
    colour, icon = LOOK[bed.state]
    with st.container(border=True):
        st.badge(md_escape(f"Bed {bed.label}"), icon=icon, color=colour)
        if bed.state == "occupied":
            st.text(bed.patient_name or "A patient")
            st.caption(f"{bed.days_in or 0:,.1f} days in")
        else:
            st.caption(STATE_WORDS[bed.state] + (f": {md_escape(bed.reason)}" if bed.reason else ""))
            st.caption(f"for {since(bed.hours_in_state)}")


def ward(ctx: PageContext, states: WardStates, beds: list[BoardBed]) -> None:
    """A ward's heading, its four cards and its grid of beds."""
    kinds = sorted({bed_board.TYPE_WORDS[b.bed_type] for b in beds})
    full = " · full" if states.full else ""
    st.subheader(md_escape(f"{states.ward}{full}"), divider="gray")
    counted = ", ".join(sorted({b.resource_name for b in beds}))
    st.caption(md_escape(f"{', '.join(kinds)} beds, counted in {counted} on Resources & beds."))
    _cards(ctx, states)
    for start in range(0, len(beds), PER_ROW):
        columns = st.columns(PER_ROW)
        for column, bed in zip(columns, beds[start : start + PER_ROW], strict=False):
            with column:
                _bed(bed)
