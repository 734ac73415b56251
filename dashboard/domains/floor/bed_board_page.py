"""Bed board: each ward's beds now, coloured by state, with the patient in each and how long each bed has been so.

A hospital that keeps its beds here never types a bed count: the database sets its bed resources' counts
from the beds (migration 0015), so Resources & beds and the Overview read the same truth. A network
administrator picks the hospital first; a hospital's own staff see theirs. Readers of resources read it;
those who change resource counts act on a bed (admit, discharge, move, clean, block, reserve) and add beds.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.floor import bed_board, bed_board_actions_page, bed_board_grid_page
from dashboard.kit import kpi, say
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.formatting import count, md_escape
from dashboard.shell import data


def _hospital(ctx: PageContext) -> tuple[str | None, str]:
    """The hospital whose board to show: a network administrator picks one, the board's hospitals first."""
    choices = dict(data.hospital_choices(ctx.actor))
    if not ctx.network_wide:
        return ctx.actor.hospital_id, choices.get(ctx.actor.hospital_id, "")
    on_board = {h.hospital_id: h.beds for h in data.cached(bed_board.board_hospitals, ctx.actor)}
    order = [*on_board, *(h for h in choices if h not in on_board)]
    chosen = st.selectbox(
        "Hospital", order, index=None, placeholder="Pick the hospital whose beds to see", key=f"{ctx.key}_hospital",
        format_func=lambda h: f"{choices.get(h, h)} · {count(on_board[h])} beds on the board" if h in on_board
        else f"{choices.get(h, h)} · no bed board",
    )  # fmt: skip
    if chosen is None:
        names = ", ".join(choices.get(h, h) for h in list(on_board)[:6])
        say.info(
            f"Pick a hospital to see its beds. {count(len(on_board))} of {count(len(choices))} hospitals keep "
            f"their beds on the board{': ' + names if names else ''}."
        )
    return chosen, choices.get(chosen or "", "")


def _summary(ctx: PageContext, hospital_name: str, wards: list[bed_board.WardStates]) -> None:
    total = sum(w.total for w in wards)
    free = sum(w.free for w in wards)
    full = [w.ward for w in wards if w.full]
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("board_free_beds", count(free), label="Free beds", help_extra=f"{count(total)} beds in all."),
        kpi.figure_card("board_occupied_beds", count(sum(w.occupied for w in wards)), label="Occupied"),
        kpi.figure_card("board_cleaning_beds", count(sum(w.cleaning for w in wards)), label="Being cleaned"),
        kpi.figure_card("board_blocked_beds", count(sum(w.blocked for w in wards)), label="Blocked"),
    ])  # fmt: skip
    reserved = sum(w.reserved for w in wards)
    in_wards = f"{count(len(wards))} ward{'s' if len(wards) != 1 else ''}"
    words = [f"{count(free)} of {count(total)} beds free in {in_wards} at {hospital_name}"]
    if reserved:
        words.append(f"{count(reserved)} reserved")
    if full:
        words.append(("Full: " + ", ".join(full)) if len(full) <= 4 else f"{count(len(full))} wards full")
    st.caption(md_escape("; ".join(words) + ". The bed counts on Resources & beds follow these beds."))


def render(ctx: PageContext) -> None:
    ctx.header("Each ward's beds now: who is in each, how long each bed has been as it is, and the next step.")
    ctx.done()
    hospital_id, hospital_name = _hospital(ctx)
    if hospital_id is None:
        return
    beds = data.cached(bed_board.beds, ctx.actor, hospital_id=hospital_id)
    if not beds:
        say.info(
            f"{hospital_name} does not keep its beds on the board yet: its bed counts are typed on Resources & "
            "beds." + (" Add its wards' beds below to start; from then on the board keeps the counts." if
                       ctx.can_write else " A hospital administrator can add its beds here.")
        )  # fmt: skip
    else:
        wards = bed_board.by_ward(beds)
        _summary(ctx, hospital_name, wards)
        bed_board_grid_page.legend()
        for ward in wards:
            bed_board_grid_page.ward(ctx, ward, [b for b in beds if b.ward == ward.ward])
        if ctx.can_write:
            with panel(ctx, "Act on a bed", "act", expanded=True, icon=":material/bed:"):
                bed_board_actions_page.actions(ctx, hospital_id, beds)
    if ctx.can_write:
        with panel(ctx, "Add beds to a ward", "add", expanded=not beds, icon=":material/add:"):
            bed_board_actions_page.add_beds(ctx, hospital_id, beds)
