"""The bed board's actions on a chosen bed, by its state, and the form that adds beds to a ward.

Each calls a service that checks role and scope again and refuses in a sentence: admit a patient to a
free or reserved bed, discharge (the bed goes to cleaning) or move an occupied one's patient, mark a bed
clean, block or unblock it, reserve or release it. Discharge and unblock ask first.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.floor import admission_commands, admission_queries, bed_board, bed_commands
from dashboard.domains.floor.bed_board import STATE_WORDS, TYPE_WORDS, BoardBed
from dashboard.kit import commands, pickers
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import md_escape
from dashboard.shell import data
from db.models.beds import BED_TYPES

ADMIT = Command("admit", admission_commands.admit, done="{name} admitted to {bed}.", words=("name", "bed"))
DISCHARGE = Command("discharge", admission_commands.discharge, done="{name} discharged; {bed} is now being cleaned.",
                    question="Discharge {name} now? {bed} goes to cleaning.", words=("name", "bed"))  # fmt: skip
MOVE = Command("move", admission_commands.transfer, done="{name} moved to {bed}; the old bed is being cleaned.",
               words=("name", "bed"))  # fmt: skip
CLEAN = Command("clean", bed_commands.mark_clean, done="{bed} is clean and free.", words=("bed",))
BLOCK = Command("block", bed_commands.block, done="{bed} blocked.", words=("bed",))
UNBLOCK = Command("unblock", bed_commands.unblock, done="{bed} is back in use, free.",
                  question="Put {bed} back in use, free for the next patient?", words=("bed",))  # fmt: skip
RESERVE = Command("reserve", bed_commands.reserve, done="{bed} reserved.", words=("bed",))
RELEASE = Command("release", bed_commands.release, done="{bed} released: free again.", words=("bed",))
ADD = Command("add_beds", bed_commands.add_beds, done="Beds {numbers} added to {in_ward}; the board now keeps "
              "their counts.", words=("numbers", "in_ward"))  # fmt: skip


def _describe(bed: BoardBed) -> str:
    who = f" · {bed.patient_name}" if bed.patient_name else f" · {bed.reason}" if bed.reason else ""
    return f"{bed.name} · {STATE_WORDS[bed.state]}{who}"


def _occupied(ctx: PageContext, hospital_id: str, bed: BoardBed, beds: list[BoardBed]) -> None:
    leave, move = st.columns(2)
    with leave:
        st.text(f"{bed.patient_name}, {bed.days_in or 0:,.1f} days in")
        if st.button("Discharge…", key=f"{ctx.key}_discharge"):
            commands.ask_first(ctx, DISCHARGE, bed.admission_id, affects=hospital_id, name=bed.patient_name,
                               bed=bed.name)  # fmt: skip
    free = {b.bed_id: b for b in beds if b.state == "free"}
    with move:
        if not free:
            st.caption("No free bed to move the patient to.")
            return
        target = st.selectbox("Move to bed", list(free), format_func=lambda i: free[i].name,
                              key=f"{ctx.key}_move_to_{bed.bed_id}")  # fmt: skip
        if st.button("Move", key=f"{ctx.key}_move"):
            commands.run(ctx, MOVE, bed.admission_id, room_number=None, bed_id=target, affects=hospital_id,
                         name=bed.patient_name, bed=free[target].name)  # fmt: skip


def _open(ctx: PageContext, hospital_id: str, bed: BoardBed) -> None:
    """A free or reserved bed: admit a patient to it, or reserve, release or block it."""
    admit, hold = st.columns(2)
    with admit:
        patient, patient_name = pickers.patient(
            ctx.viewer, admission_queries.find_patients, commands.form_key(ctx, f"patient_{bed.bed_id}"),
            note=lambda p: f" · already admitted at {p.admitted_at_hospital}" if p.already_admitted else "",
        )  # fmt: skip
        if st.button("Admit to this bed", type="primary", key=f"{ctx.key}_admit"):
            if patient is None:
                st.error("Find and pick the patient to admit first.")
            else:
                commands.run(ctx, ADMIT, hospital_id=hospital_id, patient_id=patient, bed_id=bed.bed_id,
                             affects=hospital_id, name=patient_name, bed=bed.name)  # fmt: skip
    with hold:
        reason = st.text_input("Reason, or who it is kept for", max_chars=bed_commands.MAX_REASON_CHARS,
                               key=commands.form_key(ctx, f"reason_{bed.bed_id}"),
                               placeholder="e.g. referral from LUTH, or broken bed rail")  # fmt: skip
        left, right = st.columns(2)
        if bed.state == "free" and left.button("Reserve", key=f"{ctx.key}_reserve"):
            commands.run(ctx, RESERVE, bed.bed_id, reason=reason, affects=hospital_id, bed=bed.name)
        if bed.state == "reserved" and left.button("Release", key=f"{ctx.key}_release"):
            commands.run(ctx, RELEASE, bed.bed_id, affects=hospital_id, bed=bed.name)
        if right.button("Block", key=f"{ctx.key}_block"):
            commands.run(ctx, BLOCK, bed.bed_id, reason=reason, affects=hospital_id, bed=bed.name)


def actions(ctx: PageContext, hospital_id: str, beds: list[BoardBed]) -> None:
    by_id = {b.bed_id: b for b in beds}
    # Keyed anew after each command: the beds' states (and so the options' words) have just changed.
    chosen = st.selectbox("Bed", list(by_id), format_func=lambda i: _describe(by_id[i]),
                          key=commands.form_key(ctx, f"bed_{hospital_id}"))  # fmt: skip
    bed = by_id[chosen]
    if bed.state == "occupied":
        _occupied(ctx, hospital_id, bed, beds)
    elif bed.state == "cleaning":
        if st.button("Mark clean", type="primary", key=f"{ctx.key}_clean"):
            commands.run(ctx, CLEAN, bed.bed_id, affects=hospital_id, bed=bed.name)
    elif bed.state == "blocked":
        st.caption(f"Blocked: {md_escape(bed.reason)}")
        if st.button("Unblock…", key=f"{ctx.key}_unblock"):
            commands.ask_first(ctx, UNBLOCK, bed.bed_id, affects=hospital_id, bed=bed.name)
    else:
        _open(ctx, hospital_id, bed)
    commands.confirming(ctx, DISCHARGE)
    commands.confirming(ctx, UNBLOCK)


def add_beds(ctx: PageContext, hospital_id: str, beds: list[BoardBed]) -> None:
    kinds = dict(data.call(bed_board.bed_resources, ctx.actor, hospital_id))
    if not kinds:
        st.caption("This hospital has no bed resources: add its kinds of beds on Resources & beds first.")
        return
    st.caption("The first beds of a kind take over its counts on Resources & beds: add all of its beds, ward by "
               "ward. Patients already admitted to that kind are given the first new beds.")  # fmt: skip
    wards = sorted({b.ward for b in beds})
    with st.form(commands.form_key(ctx, f"add_{hospital_id}"), border=False):
        ward_column, labels_column = st.columns(2)
        known = "Wards already on the board: " + (", ".join(wards) or "none yet") + "."
        ward = ward_column.text_input("Ward", max_chars=bed_commands.MAX_WARD_CHARS, placeholder="e.g. Ward B",
                                      help=md_escape(known))  # fmt: skip
        labels = labels_column.text_input("Bed numbers", placeholder="1-12, or B1-B6, or 1, 2, 7")
        kind_column, type_column = st.columns(2)
        kind = kind_column.selectbox("Counted as", list(kinds), format_func=kinds.get)
        bed_type = type_column.selectbox("Kind of bed", BED_TYPES, format_func=TYPE_WORDS.get)
        added = st.form_submit_button("Add beds", type="primary")
    if added:
        commands.run(ctx, ADD, hospital_id=hospital_id, resource_id=kind, ward=ward, labels=labels, bed_type=bed_type,
                     affects=hospital_id, numbers=labels, in_ward=ward)  # fmt: skip
