"""Admissions: who is in hospital now and where, admissions and discharges over time, admit, discharge, transfer.

Admitting takes a bed from the chosen ward's free count, discharging gives it back, and a transfer
moves it, each in the same transaction as the admission's own change (the services lock the beds).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.floor import admission_commands, admission_queries, bed_board, bed_figures, words
from dashboard.domains.floor.admission_queries import WAITING_FOR_BED
from dashboard.kit import charts, commands, kpi, listing, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, count
from dashboard.shell import data

CENSUS = Table([hospital_column(), Column("Ward", "ward"), Column("Patients", "patients", "count"),
                Column("Avg days", lambda w: round(w.average_days, 1), "count"),
                Column("Longest", lambda w: round(w.longest_days, 1), "count")])  # fmt: skip
ADMITTED_TABLE = Table([
    Column("Patient", "patient_name"), Column("Hospital no.", "hospital_number"), hospital_column(),
    Column("Ward", "ward", empty=WAITING_FOR_BED),
    Column("Room", "room_number"), Column("Physician", "physician_name"),
    Column("Admitted (Lagos)", "admitted_at", "datetime"),
    Column("Days so far", lambda r: round(r.days_so_far, 1), "count"),
    Column("Notes", "notes", export_only=True, empty=""),
])  # fmt: skip
ADMITTED = listing.Listing(
    key="admitted", noun=Noun("admitted patient", "admitted patients"), list_service=admission_queries.list_admitted,
    export_service=admission_queries.export_admitted, table=ADMITTED_TABLE, file_stem="admitted-patients",
    search_label="Search by patient or room", search_placeholder="e.g. Adebayo or A2-14",
    empty="Nobody is admitted in this scope now. Admit a patient below.",
    empty_filtered="No admitted patient matches this search. Clear it to see everyone.",
)  # fmt: skip
ADMIT = Command("admit", admission_commands.admit, done="{name} admitted{where}", words=("name", "where"))
DISCHARGE = Command("discharge", admission_commands.discharge, done="{name} discharged.",
                    question="Discharge {name} now? {bed}", words=("name", "bed"))  # fmt: skip
TRANSFER = Command("transfer", admission_commands.transfer, done="{name} moved to {ward}.", words=("name", "ward"))


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} days"


def _cards(ctx: PageContext, stay: admission_queries.StayFigures) -> None:
    since = {"delta_description": "vs the previous period"}
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("in_hospital_now", count(stay.current_census)),
        kpi.figure_card("average_stay", _days(stay.average_stay_days), delta_color="inverse", **since,
                        delta=kpi.signed_change(stay.average_stay_days, stay.previous_average_stay_days, unit="days",
                                                digits=1)),
        kpi.figure_card("discharges", count(stay.discharges), delta_color="off", **since,
                        delta=kpi.signed_change(stay.discharges, stay.previous_discharges)),
        kpi.figure_card("bed_turnover", "—" if stay.bed_turnover is None else f"{stay.bed_turnover:.2f}",
                        delta=kpi.signed_change(stay.bed_turnover, stay.previous_bed_turnover, digits=2),
                        delta_color="off", help_extra=f"{count(stay.beds)} beds in scope.", **since),
    ])  # fmt: skip


def _flow_and_census(ctx: PageContext) -> None:
    flow = data.cached(admission_queries.flow_by_day, ctx.actor, start=ctx.period.start, end=ctx.period.end)
    # In network scope the census names each hospital too: it gets the page's width to fit.
    chart_column, census_column = (st.container(), st.container()) if ctx.network_wide else st.columns([3, 2])
    with chart_column:
        if any(f.admissions or f.discharges for f in flow):
            frame = pd.DataFrame({"Day": [f.day for f in flow], "Admissions": [f.admissions for f in flow],
                                  "Discharges": [f.discharges for f in flow]})  # fmt: skip
            charts.show(charts.line(
                frame, x="Day", y=["Admissions", "Discharges"], title="Admissions and discharges per day",
                x_title="Day (Lagos)", y_title="Patients", colours={"Admissions": charts.BLUE,
                "Discharges": charts.ORANGE}), key=f"{ctx.key}_flow")  # fmt: skip
        else:
            say.info(f"No admissions or discharges between {ctx.period.label}. "
                     "Pick a wider date range in the sidebar.")  # fmt: skip
    with census_column:
        st.markdown("**Census by ward now** (days in hospital so far)")
        wards = data.cached(admission_queries.census, ctx.actor, by_room=False)
        if wards:
            st.dataframe(CENSUS.frame(wards, network_wide=ctx.network_wide), hide_index=True, width="stretch",
                         height="content" if len(wards) <= 12 else 420)  # fmt: skip
        else:
            st.info("Nobody is admitted in this scope now.")


def _ward_names(ctx: PageContext, hospital_id: str) -> dict[str, tuple[str, str]]:
    """{bed resource id: (ward, "ward (3 free)")} of one hospital."""
    beds = data.call(admission_queries.bed_choices, ctx.actor, hospital_id)
    return {b.resource_id: (b.name, f"{b.name} ({count(b.free)} free)") for b in beds}


def _admit_form(ctx: PageContext) -> None:
    hospital_id = pickers.hospital_for_action(
        ctx.viewer, commands.form_key(ctx, "admit_hospital"), help="The hospital admitting the patient.",
        choose_first=False,
    )  # fmt: skip
    patient, patient_name = pickers.patient(
        ctx.viewer, admission_queries.find_patients, commands.form_key(ctx, "patient"), hospital_id=hospital_id,
        note=lambda p: f" · already admitted at {p.admitted_at_hospital}" if p.already_admitted else "",
    )  # fmt: skip
    if hospital_id is None:
        st.caption("Pick a hospital to see its wards and physicians.")
        return
    wards = _ward_names(ctx, hospital_id)
    bed_ids = [None, *wards]
    ward_column, room_column = st.columns(2)
    bed = ward_column.selectbox(
        "Ward", bed_ids, format_func=lambda i: "No bed yet (waiting for a bed)" if i is None else wards[i][1],
        index=1 if len(bed_ids) > 1 else 0, key=commands.form_key(ctx, f"bed_{hospital_id}"),
    )  # fmt: skip
    room = room_column.text_input("Room", max_chars=20, key=commands.form_key(ctx, "room"), placeholder="e.g. A2-14")
    # A ward on the bed board offers its free beds; the patient takes the one picked.
    free = {b.bed_id: b.name for b in data.cached(bed_board.free_beds, ctx.actor, hospital_id=hospital_id)
            if b.resource_id == bed}  # fmt: skip
    board_bed = st.selectbox("Bed", list(free), format_func=free.get, key=commands.form_key(ctx, f"board_bed_{bed}"),
                             help="A free bed of this ward on the Bed board.") if free else None  # fmt: skip
    physicians = dict(data.call(admission_queries.physician_choices, ctx.actor, hospital_id))
    physician = st.selectbox(
        "Physician", [None, *physicians], format_func=lambda i: "Not yet assigned" if i is None else physicians[i],
        key=commands.form_key(ctx, f"physician_{hospital_id}"),
    )  # fmt: skip
    notes = st.text_area("Notes", max_chars=1000, key=commands.form_key(ctx, "notes"), height=80)
    if st.button("Admit", type="primary", key=f"{ctx.key}_admit"):
        if patient is None:
            st.error("Find and pick the patient to admit first.")
            return
        commands.run(ctx, ADMIT, hospital_id=hospital_id, patient_id=patient, bed_resource_id=bed, bed_id=board_bed,
                     room_number=room or None, physician_id=physician, notes=notes or None, affects=hospital_id,
                     name=patient_name, where=f" to {wards[bed][0]}." if bed else "; waiting for a bed.")  # fmt: skip


def _discharge_and_transfer(ctx: PageContext, rows: list) -> None:
    by_id = {r.admission_id: r for r in rows}
    chosen = st.selectbox("Patient", list(by_id), key=f"{ctx.key}_chosen", format_func=lambda i: (
        f"{by_id[i].patient_name} · {by_id[i].ward or 'waiting for a bed'}"
        + (f" · {by_id[i].hospital_name}" if ctx.network_wide else "")))  # fmt: skip
    row = by_id[chosen]
    discharge_tab, transfer_tab = st.tabs(["Discharge", "Transfer"], key=f"{ctx.key}_change_tabs", on_change="rerun")
    with discharge_tab:
        if st.button("Discharge…", key=f"{ctx.key}_discharge"):
            bed = f"Their bed in {row.ward} becomes free." if row.ward else "They hold no bed."
            commands.ask_first(ctx, DISCHARGE, row.admission_id, affects=row.hospital_id, name=row.patient_name,
                               bed=bed)  # fmt: skip
        commands.confirming(ctx, DISCHARGE)
    with transfer_tab:
        wards = _ward_names(ctx, row.hospital_id)
        if not wards:
            st.caption("This hospital has no beds recorded.")
            return
        ward_column, room_column = st.columns(2)
        target = ward_column.selectbox("To ward", list(wards), format_func=lambda i: wards[i][1],
                                       key=f"{ctx.key}_to_ward_{row.admission_id}")  # fmt: skip
        room = room_column.text_input("To room", max_chars=20, key=f"{ctx.key}_to_room_{row.admission_id}")
        if st.button("Transfer", key=f"{ctx.key}_transfer"):
            commands.run(ctx, TRANSFER, row.admission_id, bed_resource_id=target, room_number=room or None,
                         affects=row.hospital_id, name=row.patient_name, ward=wards[target][0])  # fmt: skip


def render(ctx: PageContext) -> None:
    ctx.header(f"Patients in hospital now, and admissions and discharges over {ctx.period.label}.")
    ctx.done()
    stay = data.cached(admission_queries.stay_figures, ctx.actor, start=ctx.period.start, end=ctx.period.end)
    _cards(ctx, stay)
    st.caption(words.in_hospital(stay.current_census, data.cached(bed_figures.bed_census, ctx.actor)))
    kpi.link_to(ctx.viewer, "resources", label="See beds in use by ward on Resources & beds")
    _flow_and_census(ctx)
    waiting = data.call(admission_queries.waiting_for_bed, ctx.actor)
    if waiting:
        names = ", ".join(w.patient_name for w in waiting[:8]) + (
            f" and {count(len(waiting) - 8)} more" if len(waiting) > 8 else "")  # fmt: skip
        say.warning(f"{count(len(waiting))} admitted {'patient is' if len(waiting) == 1 else 'patients are'} "
                    f"waiting for a bed: {names}. Give one a bed with Transfer below.",
                    icon=":material/hotel:")  # fmt: skip
    st.subheader("Admitted patients")
    page = listing.show(ADMITTED, ctx.viewer)
    if not ctx.can_write:
        return
    admit_column, change_column = st.columns(2)
    # Keyed, with their state kept: a message above them that comes and goes must not fold them shut.
    with admit_column, panel(ctx, "Admit a patient", "admit", expanded=page.total == 0, icon=":material/add:"):
        _admit_form(ctx)
    with change_column, panel(ctx, "Discharge or transfer", "change", icon=":material/swap_horiz:"):
        candidates = list({r.admission_id: r for r in [*waiting, *page.rows]}.values())
        if candidates:
            st.caption("Patients on this page of the list and those waiting for a bed; search above for others.")
            _discharge_and_transfer(ctx, candidates)
        else:
            st.caption("Nobody is admitted in this scope.")
