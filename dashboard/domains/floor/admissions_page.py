"""Admissions: who is in hospital now and where, admissions and discharges over time, admit, discharge, transfer.

Admitting takes a bed from the chosen ward's free count, discharging gives it back, and a transfer
moves it, each in the same transaction as the admission's own change (the services lock the beds).
"""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("admissions")

import pandas as pd  # noqa: E402

from dashboard.domains.floor import admissions, resources  # noqa: E402
from dashboard.kit import charts, commands, filters, kpi, listing, pickers, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions  # noqa: E402
from dashboard.platform.formatting import Noun, count, lagos_datetime  # noqa: E402
from dashboard.shell import data  # noqa: E402

KEY = "admissions"
actor = viewer.actor
may_write = viewer.user.role in permissions.writers("admissions")
period = filters.current_range()


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} days"


def _beds_line(in_hospital: int, census) -> str:
    """The patients in hospital against the beds the wards count in use, so the two numbers read as one story."""
    beds = census.total
    where = f"{count(in_hospital)} in hospital now: {count(beds.held)} in a bed"
    where += f", {count(census.waiting_for_bed)} waiting for one. " if census.waiting_for_bed else ". "
    if beds.not_recorded == 0:
        return where + f"The wards count {count(beds.in_use)} beds in use, each held by a patient admitted here."
    return where + (
        f"The wards count {count(beds.in_use)} beds in use, {count(beds.held)} admitted here: "
        f"{count(beds.not_recorded)} not recorded in this system."
    )


page_header("Admissions", f"Patients in hospital now, and admissions and discharges over {period.label}.", viewer)
commands.show_done(KEY)

stay = data.cached(admissions.stay_figures, actor, start=period.start, end=period.end)
census_of_beds = data.cached(resources.bed_census, actor)
kpi.card_row(
    viewer,
    [
        kpi.figure_card("in_hospital_now", count(stay.current_census)),
        kpi.figure_card(
            "average_stay",
            _days(stay.average_stay_days),
            delta=kpi.signed_change(stay.average_stay_days, stay.previous_average_stay_days, unit="days", digits=1),
            delta_color="inverse",
            delta_description="vs the previous period",
        ),
        kpi.figure_card(
            "discharges",
            count(stay.discharges),
            delta=kpi.signed_change(stay.discharges, stay.previous_discharges),
            delta_color="off",
            delta_description="vs the previous period",
        ),
        kpi.figure_card(
            "bed_turnover",
            "—" if stay.bed_turnover is None else f"{stay.bed_turnover:.2f}",
            delta=kpi.signed_change(stay.bed_turnover, stay.previous_bed_turnover, digits=2),
            delta_color="off",
            delta_description="vs the previous period",
            help_extra=f"{count(stay.beds)} beds in scope.",
        ),
    ],
)
st.caption(_beds_line(stay.current_census, census_of_beds))
kpi.link_to(viewer, "resources", label="See beds in use by ward on Resources & beds")

flow = data.cached(admissions.flow_by_day, actor, start=period.start, end=period.end)
# In network scope the census names each hospital too: it gets the page's width to fit.
chart_column, census_column = (st.container(), st.container()) if actor.network_wide else st.columns([3, 2])
with chart_column:
    if flow and any(f.admissions or f.discharges for f in flow):
        frame = pd.DataFrame(
            {
                "Day": [f.day for f in flow],
                "Admissions": [f.admissions for f in flow],
                "Discharges": [f.discharges for f in flow],
            }
        )
        charts.show(
            charts.line(
                frame,
                x="Day",
                y=["Admissions", "Discharges"],
                title="Admissions and discharges per day",
                x_title="Day (Lagos)",
                y_title="Patients",
                colours={"Admissions": charts.BLUE, "Discharges": charts.ORANGE},
            ),
            key=f"{KEY}_flow",
        )
    else:
        say.info(f"No admissions or discharges between {period.label}. Pick a wider date range in the sidebar.")
with census_column:
    st.markdown("**Census by ward now** (days in hospital so far)")
    wards = data.cached(admissions.census, actor, by_room=False)
    if wards:
        census = pd.DataFrame(
            {
                "Ward": [w.ward for w in wards],
                "Patients": [w.patients for w in wards],
                "Avg days": [round(w.average_days, 1) for w in wards],
                "Longest": [round(w.longest_days, 1) for w in wards],
            }
        )
        if actor.network_wide:
            census.insert(0, "Hospital", [w.hospital_name for w in wards])
        st.dataframe(census, hide_index=True, width="stretch", height="content" if len(wards) <= 12 else 420)
    else:
        st.info("Nobody is admitted in this scope now.")

waiting = data.call(admissions.waiting_for_bed, actor)
if waiting:
    say.warning(
        f"{count(len(waiting))} admitted {'patient is' if len(waiting) == 1 else 'patients are'} waiting for a bed: "
        + ", ".join(w.patient_name for w in waiting[:8])
        + (f" and {count(len(waiting) - 8)} more" if len(waiting) > 8 else "")
        + ". Give one a bed with Transfer below.",
        icon=":material/hotel:",
    )


def _as_table(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Patient": [r.patient_name for r in rows],
            "Ward": [r.ward or "Waiting for a bed" for r in rows],
            "Room": [r.room_number or "—" for r in rows],
            "Physician": [r.physician_name or "—" for r in rows],
            "Admitted (Lagos)": [lagos_datetime(r.admitted_at) for r in rows],
            "Days so far": [round(r.days_so_far, 1) for r in rows],
        }
    )
    if actor.network_wide:
        frame.insert(1, "Hospital", [r.hospital_name for r in rows])
    return frame


def _as_export(rows: list) -> pd.DataFrame:
    frame = _as_table(rows)
    frame["Notes"] = [r.notes or "" for r in rows]
    return frame


ADMITTED = listing.Listing(
    key="admitted",
    noun=Noun("admitted patient", "admitted patients"),
    list_service=admissions.list_admitted,
    export_service=admissions.export_admitted,
    to_frame=_as_table,
    export_frame=_as_export,
    file_stem="admitted-patients",
    search_label="Search by patient or room",
    search_placeholder="e.g. Adebayo or A2-14",
    empty="Nobody is admitted in this scope now. Admit a patient below.",
    empty_filtered="No admitted patient matches this search. Clear it to see everyone.",
)

st.subheader("Admitted patients")
page = listing.show(ADMITTED, viewer)


def _write(command, *args, message: str, affects: str, **kwargs) -> None:
    commands.perform(KEY, command, actor, *args, message=message, affects=affects, **kwargs)


def _admit_form() -> None:
    nonce = commands.nonce(KEY)
    hospital_id = pickers.hospital_for_action(
        viewer, f"{KEY}_admit_hospital_{nonce}", help="The hospital admitting the patient.", choose_first=False
    )
    patient, patient_name = pickers.patient(
        viewer, admissions.find_patients, f"{KEY}_patient_{nonce}",
        note=lambda p: f" · already admitted at {p.admitted_at_hospital}" if p.already_admitted else "",
    )  # fmt: skip
    if hospital_id is None:
        st.caption("Pick a hospital to see its wards and physicians.")
        return
    beds = data.call(admissions.bed_choices, actor, hospital_id)
    bed_ids = [None, *(b.resource_id for b in beds)]
    names = {b.resource_id: f"{b.name} ({count(b.free)} free)" for b in beds}
    ward_column, room_column = st.columns(2)
    bed = ward_column.selectbox(
        "Ward", bed_ids, format_func=lambda i: "No bed yet (waiting for a bed)" if i is None else names[i],
        index=1 if len(bed_ids) > 1 else 0, key=f"{KEY}_bed_{hospital_id}_{nonce}",
    )  # fmt: skip
    room = room_column.text_input("Room", max_chars=20, key=f"{KEY}_room_{nonce}", placeholder="e.g. A2-14")
    physicians = dict(data.call(admissions.physician_choices, actor, hospital_id))
    physician = st.selectbox(
        "Physician", [None, *physicians], format_func=lambda i: "Not yet assigned" if i is None else physicians[i],
        key=f"{KEY}_physician_{hospital_id}_{nonce}",
    )  # fmt: skip
    notes = st.text_area("Notes", max_chars=1000, key=f"{KEY}_notes_{nonce}", height=80)
    if st.button("Admit", type="primary", key=f"{KEY}_admit"):
        if patient is None:
            st.error("Find and pick the patient to admit first.")
            return
        _write(
            admissions.admit, hospital_id=hospital_id, patient_id=patient, bed_resource_id=bed,
            room_number=room or None, physician_id=physician, notes=notes or None,
            message=f"{patient_name} admitted"
            + (f" to {names[bed].split(' (')[0]}." if bed else "; waiting for a bed."),
            affects=hospital_id,
        )  # fmt: skip


def _discharge_and_transfer(rows: list) -> None:
    by_id = {r.admission_id: r for r in rows}
    chosen = st.selectbox(
        "Patient",
        list(by_id),
        format_func=lambda i: (
            f"{by_id[i].patient_name} · {by_id[i].ward or 'waiting for a bed'}"
            + (f" · {by_id[i].hospital_name}" if actor.network_wide else "")
        ),
        key=f"{KEY}_chosen",
    )
    row = by_id[chosen]
    discharge_tab, transfer_tab = st.tabs(["Discharge", "Transfer"], key=f"{KEY}_change_tabs", on_change="rerun")
    with discharge_tab:
        if st.button("Discharge…", key=f"{KEY}_discharge"):
            commands.ask(
                f"{KEY}_discharge",
                f"Discharge {row.patient_name} now? "
                + (f"Their bed in {row.ward} becomes free." if row.ward else "They hold no bed."),
                admission_id=row.admission_id,
                hospital_id=row.hospital_id,
                name=row.patient_name,
            )
        pending = commands.confirmed(f"{KEY}_discharge")
        if pending:
            _write(
                admissions.discharge, pending["admission_id"], message=f"{pending['name']} discharged.",
                affects=pending["hospital_id"],
            )  # fmt: skip
    with transfer_tab:
        beds = data.call(admissions.bed_choices, actor, row.hospital_id)
        names = {b.resource_id: f"{b.name} ({count(b.free)} free)" for b in beds}
        if not beds:
            st.caption("This hospital has no beds recorded.")
            return
        ward_column, room_column = st.columns(2)
        target = ward_column.selectbox(
            "To ward", list(names), format_func=names.get, key=f"{KEY}_to_ward_{row.admission_id}"
        )
        room = room_column.text_input("To room", max_chars=20, key=f"{KEY}_to_room_{row.admission_id}")
        if st.button("Transfer", key=f"{KEY}_transfer"):
            _write(
                admissions.transfer, row.admission_id, bed_resource_id=target, room_number=room or None,
                message=f"{row.patient_name} moved to {names[target].split(' (')[0]}.", affects=row.hospital_id,
            )  # fmt: skip


if may_write:
    admit_column, change_column = st.columns(2)
    # Keyed, with their state kept: a message above them that comes and goes must not fold them shut.
    with admit_column.expander(
        "Admit a patient", expanded=page.total == 0, icon=":material/add:", key=f"{KEY}_admit_panel", on_change="rerun"
    ):
        _admit_form()
    with change_column.expander(
        "Discharge or transfer", icon=":material/swap_horiz:", key=f"{KEY}_change_panel", on_change="rerun"
    ):
        candidates = list({r.admission_id: r for r in [*waiting, *page.rows]}.values())
        if candidates:
            st.caption("Patients on this page of the list and those waiting for a bed; search above for others.")
            _discharge_and_transfer(candidates)
        else:
            st.caption("Nobody is admitted in this scope.")
