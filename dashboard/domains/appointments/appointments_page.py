"""Appointments: each physician's day and week, booking without double-booking, and what patients are told.

The database refuses a physician's slot twice (migration 0006), so two administrators booking the
same slot at once get one booking and one sentence. Every booking, move and cancellation tells the
patient in the same transaction (a notification the platform's apps deliver).
"""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("appointments")

from datetime import timedelta  # noqa: E402

import pandas as pd  # noqa: E402

from dashboard.domains.appointments import appointments  # noqa: E402
from dashboard.kit import charts, commands, filters, kpi, listing, pickers, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions  # noqa: E402
from dashboard.platform.formatting import Noun, count, lagos_date, md_escape, percent  # noqa: E402
from dashboard.shell import data  # noqa: E402
from db.vocab import APPOINTMENT_STATUSES, APPOINTMENT_TYPES, CONSULTATION_TYPES  # noqa: E402

KEY = "appointments"
UPCOMING_DAYS = 60
actor = viewer.actor
may_write = viewer.user.role in permissions.writers("appointments")
period = filters.current_range()
STATUS_COLOURS = {
    "Pending": charts.SKY,
    "Confirmed": charts.BLUE,
    "Completed": charts.GREEN,
    "No-show": charts.VERMILLION,
    "Cancelled": charts.GREY,
}

page_header("Appointments", "Who is booked with whom, and how bookings went over the days below.", viewer)
commands.show_done(KEY)

# The cards, the charts and the list cover one range, so a rate can be checked against the list beside
# it. The sidebar's range usually ends today, and a booking is for the days ahead: unless the reader asks
# for the range alone, all of them reach into the coming weeks, so a new booking shows and can be changed.
upcoming = st.toggle(
    f"Include the next {UPCOMING_DAYS} days", value=True, key=f"{KEY}_upcoming",
    help="The cards, the charts and the list all cover the same days: the sidebar's range, and with this "
    f"on the next {UPCOMING_DAYS} days too.",
)  # fmt: skip
shown = period
if upcoming and period.end < filters.today() + timedelta(days=UPCOMING_DAYS):
    shown = filters.DateRange(period.start, filters.today() + timedelta(days=UPCOMING_DAYS))
reach = f"the sidebar's range and the next {UPCOMING_DAYS} days" if shown != period else "the sidebar's range"
# The figures may be a minute old (a write here makes them stale at once): cached, and read in one pass.
# The schedule and the list below stay live (data.call): a booking form's free times and the rows acted on.
figures = data.cached(appointments.figures, actor, start=shown.start, end=shown.end)
totals, share, rates, per_day = figures.totals, figures.share, figures.monthly, figures.per_day
here = f"Here: {shown.label}, the appointments of the list below."
st.caption(f"Appointments dated {shown.label} ({reach}): the same appointments as the list below.")
kpi.card_row(
    viewer,
    [
        kpi.figure_card(
            "appointments_booked", count(totals.appointments),
            help_extra=f"{here} {count(totals.cancelled)} of them cancelled.",
        ),
        kpi.figure_card(
            "no_show_rate", percent(totals.no_show_rate),
            help_extra=f"{here} {count(totals.no_show)} no-shows of {count(totals.completed + totals.no_show)} "
            "with an outcome.",
        ),
        kpi.figure_card(
            "cancellation_rate", percent(totals.cancellation_rate),
            help_extra=f"{here} {count(totals.cancelled)} cancelled of {count(totals.appointments)}.",
        ),
        kpi.figure_card(
            "virtual_share", percent(share.virtual_share),
            help_extra=f"{here} {count(share.virtual)} virtual and {count(share.in_person)} in person.",
        ),
    ],
)  # fmt: skip

# --- Each physician's day or week ---------------------------------------------------------------------
st.subheader("Who is free when")
hospital_id = pickers.hospital_for_action(
    viewer, f"{KEY}_schedule_hospital", help="A schedule is one hospital's physicians; bookings go there too."
)
view_column, day_column = st.columns([1, 2])
view = view_column.segmented_control("View", ["Day", "Week"], default="Day", key=f"{KEY}_view") or "Day"
# After a booking the grid moves to the booked day, so the booking shows (set before the widget is drawn).
booked_day = st.session_state.pop(f"{KEY}__booked_day", None)
if booked_day is not None:
    st.session_state[f"{KEY}_day"] = booked_day
first_day = day_column.date_input(
    "Day" if view == "Day" else "Week from", value=None if booked_day is not None else filters.today(),
    format="DD/MM/YYYY", key=f"{KEY}_day",
) or filters.today()
week = data.call(
    appointments.schedule, actor, hospital_id=hospital_id, start=first_day, days=1 if view == "Day" else 7
)


def _cell(slot) -> str:
    kind = "video" if slot.virtual else ""
    status = "" if slot.status == "confirmed" else appointments.STATUS_LABELS.get(slot.status, slot.status).lower()
    extras = ", ".join(part for part in (kind, status) if part)
    return f"{slot.patient_name}" + (f" ({extras})" if extras else "")


if not week.physicians:
    say.info(f"{week.hospital_name} has no active physicians to book. Physicians are added by the platform.")
elif view == "Day":
    cells = {(s.physician_id, s.time): s for s in week.slots}
    rows = [p.label for p in week.physicians]
    charts.show(
        charts.occupancy_grid(
            columns=week.slot_times,
            rows=rows,
            filled=[[1 if (p.physician_id, t) in cells else 0 for t in week.slot_times] for p in week.physicians],
            hover=[
                [_cell(cells[(p.physician_id, t)]) if (p.physician_id, t) in cells else "free" for t in week.slot_times]
                for p in week.physicians
            ],
            title=f"{lagos_date(first_day)}, Lagos time: booked slots blue, free ones pale",
            x_title="",
        ),
        key=f"{KEY}_day_grid",
    )
    on_grid = sum(1 for s in week.slots if s.on_grid)
    off_grid = len(week.slots) - on_grid  # booked by other clients at other times (evening video calls)
    st.caption(
        f"{count(on_grid)} booked of {count(len(week.physicians) * len(week.slot_times))} slots at "
        f"{md_escape(week.hospital_name)}"
        + (f", and {count(off_grid)} outside the slots (e.g. evening video calls)" if off_grid else "")
        + ". Point at a slot to see who is booked."
    )
else:
    booked_per: dict[tuple[str, object], int] = {}
    for slot in week.slots:
        booked_per[(slot.physician_id, slot.day)] = booked_per.get((slot.physician_id, slot.day), 0) + 1
    slots_a_day = len(week.slot_times)
    day_names = [f"{d:%a} {d.day} {d:%b}" for d in week.days]
    taken = [[booked_per.get((p.physician_id, d), 0) for d in week.days] for p in week.physicians]
    charts.show(
        charts.occupancy_grid(
            columns=day_names,
            rows=[p.label for p in week.physicians],
            filled=taken,
            hover=[[f"{n} booked, {slots_a_day - n} free" for n in row] for row in taken],
            labels=[[f"{n}/{slots_a_day}" for n in row] for row in taken],
            scale_max=slots_a_day,
            title=f"Booked slots a day, the week from {lagos_date(first_day)}",
            x_title="",
        ),
        key=f"{KEY}_week_grid",
    )
    st.caption("Each cell: slots booked out of the day's slots. Pick Day to see the times.")

# --- Booking -----------------------------------------------------------------------------------------


def _write(command, *args, message: str, affects: str | None, **kwargs) -> None:
    commands.perform(KEY, command, actor, *args, message=message, affects=affects, **kwargs)


def _book(*, message: str, toast: str, day, **kwargs) -> None:
    """Book; a short toast (the corner box cuts long ones off), the full sentence above the page, and
    the day grid moved to the booked day."""
    commands.perform(
        KEY, appointments.book, actor, message=message, toast=toast, affects=hospital_id,
        after=lambda: st.session_state.__setitem__(f"{KEY}__booked_day", day), hospital_id=hospital_id, day=day,
        **kwargs,
    )  # fmt: skip


def _booking_form() -> None:
    nonce = commands.nonce(KEY)
    patient, patient_name = pickers.patient(viewer, appointments.find_patients, f"{KEY}_patient_{nonce}")
    physicians = {p.physician_id: p.label for p in week.physicians}
    if not physicians:
        st.caption("This hospital has no active physicians to book.")
        return
    physician = st.selectbox("Physician", list(physicians), format_func=physicians.get, key=f"{KEY}_physician_{nonce}")
    day_column, time_column = st.columns(2)
    day = day_column.date_input("Date", value=filters.today() + timedelta(days=1), min_value=filters.today(),
                                max_value=filters.today() + timedelta(days=appointments.MAX_DAYS_AHEAD),
                                format="DD/MM/YYYY", key=f"{KEY}_date_{nonce}")  # fmt: skip
    taken = {
        s.time
        for s in data.call(appointments.schedule, actor, hospital_id=hospital_id, start=day, days=1).slots
        if s.physician_id == physician
    }
    free = [t for t in appointments.SLOT_TIMES if t not in taken]
    time_slot = time_column.selectbox(
        "Time", list(appointments.SLOT_TIMES), index=appointments.SLOT_TIMES.index(free[0]) if free else 0,
        format_func=lambda t: t + ("  (booked)" if t in taken else ""), key=f"{KEY}_time_{physician}_{day}_{nonce}",
        help="Booked times are marked; booking one is refused.",
    )  # fmt: skip
    type_column, how_column = st.columns(2)
    kind = type_column.selectbox(
        "Type", APPOINTMENT_TYPES, format_func=lambda t: appointments.TYPE_LABELS[t].capitalize(),
        key=f"{KEY}_type_{nonce}",
    )  # fmt: skip
    how = how_column.radio(
        "How", CONSULTATION_TYPES, format_func=lambda c: appointments.CONSULTATION_LABELS[c].capitalize(),
        horizontal=True, key=f"{KEY}_how_{nonce}",
    )  # fmt: skip
    notes = st.text_area("Notes", max_chars=appointments.MAX_NOTES_CHARS, height=68, key=f"{KEY}_notes_{nonce}")
    if st.button("Book", type="primary", key=f"{KEY}_book"):
        if patient is None:
            say.error("Find and pick the patient to book first.")
            return
        _book(
            patient_id=patient, physician_id=physician, day=day,
            time=time_slot, appointment_type=kind, consultation_type=how, notes=notes or None,
            message=f"Booked {patient_name} with {physicians[physician]} at {time_slot} on "
            f"{lagos_date(day)}. The patient has been told.",
            toast=f"Booked {patient_name}, {time_slot} on {lagos_date(day)}.",
        )  # fmt: skip


if may_write:
    with st.expander("Book an appointment", icon=":material/event_available:", key=f"{KEY}_book_panel",
                     on_change="rerun"):  # fmt: skip
        _booking_form()

# --- The list ----------------------------------------------------------------------------------------
st.subheader("Booked appointments")
st.caption(
    f"Dated {shown.label}. Upcoming appointments first, the next one at the top; then past ones, the latest "
    "first. The export has the same order."
)
physician_column, status_column, how_column = st.columns(3)
physician_filter = physician_column.selectbox(
    "Physician", [None, *(p.physician_id for p in week.physicians)],
    format_func=lambda i: "All physicians" if i is None else {p.physician_id: p.label for p in week.physicians}[i],
    key=f"{KEY}_filter_physician",
)  # fmt: skip
status_filter = status_column.selectbox(
    "Status", [None, *APPOINTMENT_STATUSES], format_func=lambda s: "Any status" if s is None
    else appointments.STATUS_LABELS[s], key=f"{KEY}_filter_status",
)  # fmt: skip
how_filter = how_column.selectbox(
    "In person or virtual", [None, *CONSULTATION_TYPES], format_func=lambda c: "Both" if c is None
    else appointments.CONSULTATION_LABELS[c].capitalize(), key=f"{KEY}_filter_how",
)  # fmt: skip


def _as_table(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Date": [lagos_date(r.day) for r in rows],
            "Time": [r.time for r in rows],
            "Patient": [r.patient_name for r in rows],
            "Physician": [r.physician_name for r in rows],
            "Type": [appointments.TYPE_LABELS.get(r.appointment_type, r.appointment_type).capitalize() for r in rows],
            "How": ["Virtual" if r.virtual else "In person" for r in rows],
            "Status": [appointments.STATUS_LABELS.get(r.status, r.status) for r in rows],
        }
    )
    if actor.network_wide:
        frame.insert(2, "Hospital", [r.hospital_name or "—" for r in rows])
    return frame


def _as_export(rows: list) -> pd.DataFrame:
    frame = _as_table(rows)
    frame["Notes"] = [r.notes or "" for r in rows]
    return frame


APPOINTMENTS = listing.Listing(
    key="appointments",
    noun=Noun("appointment", "appointments"),
    list_service=appointments.list_appointments,
    export_service=appointments.export_appointments,
    to_frame=_as_table,
    export_frame=_as_export,
    file_stem="appointments",
    search_label="Search by patient",
    search_placeholder="Name or email",
    empty=f"No appointments between {shown.label}. Pick another date range in the sidebar, or book one above.",
    empty_filtered="No appointments match these filters. Clear them to see every appointment in the range.",
)
page = listing.show(
    APPOINTMENTS,
    viewer,
    filters={
        "start": shown.start,
        "end": shown.end,
        "physician_id": physician_filter,
        "status": status_filter,
        "consultation_type": how_filter,
    },
)


def _actions(rows: list) -> None:
    by_id = {r.appointment_id: r for r in rows}
    ids = list(by_id)
    # The picker holds its choice by appointment id. Its widget is keyed by the write counter: after a
    # write its labels are read again (a new time, a new status) and it still shows the same appointment,
    # rather than Streamlit dropping a choice whose label changed and jumping to the first one.
    remembered = st.session_state.get(f"{KEY}_chosen_id")
    chosen = st.selectbox(
        "Appointment",
        ids,
        index=ids.index(remembered) if remembered in by_id else 0,
        format_func=lambda i: f"{lagos_date(by_id[i].day)} {by_id[i].time} · {by_id[i].patient_name} with "
        f"{by_id[i].physician_name} · {appointments.STATUS_LABELS.get(by_id[i].status, by_id[i].status)}",
        key=f"{KEY}_chosen_{commands.nonce(KEY)}",
    )
    st.session_state[f"{KEY}_chosen_id"] = chosen
    row = by_id[chosen]
    fresh = f"{row.appointment_id}_{commands.nonce(KEY)}"  # the move fields start from the current date and time
    status_tab, move_tab, cancel_tab = st.tabs(["Confirm or close", "Reschedule", "Cancel"], key=f"{KEY}_tabs",
                                               on_change="rerun")  # fmt: skip
    with status_tab:
        confirm_col, done_col, missed_col = st.columns(3)
        if confirm_col.button("Confirm", key=f"{KEY}_confirm", width="stretch"):
            _write(appointments.confirm, row.appointment_id, message=f"{row.patient_name}'s appointment is confirmed.",
                   affects=row.hospital_id)  # fmt: skip
        if done_col.button("Completed", key=f"{KEY}_complete", width="stretch"):
            _write(appointments.complete, row.appointment_id, message=f"{row.patient_name}'s appointment is completed.",
                   affects=row.hospital_id)  # fmt: skip
        if missed_col.button("No-show", key=f"{KEY}_no_show", width="stretch"):
            _write(appointments.mark_no_show, row.appointment_id, message=f"{row.patient_name} is marked as a no-show.",
                   affects=row.hospital_id)  # fmt: skip
    with move_tab:
        day_column, time_column = st.columns(2)
        new_day = day_column.date_input("New date", value=max(row.day, filters.today()), min_value=filters.today(),
                                        format="DD/MM/YYYY", key=f"{KEY}_move_day_{fresh}")  # fmt: skip
        slot_times = list(appointments.SLOT_TIMES)
        new_time = time_column.selectbox("New time", slot_times,
                                         index=slot_times.index(row.time) if row.time in slot_times else 0,
                                         key=f"{KEY}_move_time_{fresh}")  # fmt: skip
        if st.button("Reschedule", key=f"{KEY}_reschedule"):
            _write(appointments.reschedule, row.appointment_id, day=new_day, time=new_time,
                   message=f"{row.patient_name}'s appointment moved to {new_time} on {lagos_date(new_day)}. "
                   "The patient has been told.", affects=row.hospital_id)  # fmt: skip
    with cancel_tab:
        reason = st.text_input("Reason", max_chars=appointments.MAX_REASON_CHARS,
                               key=f"{KEY}_cancel_reason_{row.appointment_id}")  # fmt: skip
        if st.button("Cancel appointment…", key=f"{KEY}_cancel"):
            if not reason.strip():
                say.error("Give a reason for cancelling: the patient is told it.")
            else:
                commands.ask(f"{KEY}_cancel", f"Cancel {row.patient_name}'s appointment at {row.time} on "
                            f"{lagos_date(row.day)}? The patient is told.", appointment_id=row.appointment_id,
                            hospital_id=row.hospital_id, name=row.patient_name, reason=reason)  # fmt: skip
        pending = commands.confirmed(f"{KEY}_cancel")
        if pending:
            _write(appointments.cancel, pending["appointment_id"], reason=pending["reason"],
                   message=f"{pending['name']}'s appointment is cancelled. The patient has been told.",
                   affects=pending["hospital_id"])  # fmt: skip


if may_write and page.rows:
    with st.expander("Change an appointment", icon=":material/edit_calendar:", key=f"{KEY}_change_panel",
                     on_change="rerun"):  # fmt: skip
        st.caption("The appointments on this page of the list; search or filter above to find another.")
        _actions(page.rows)

# --- Figures -----------------------------------------------------------------------------------------
st.subheader("How bookings went")
by_status_column, load_column = st.columns([3, 2])
with by_status_column:
    if totals.appointments:
        frame = pd.DataFrame(
            {
                "Day": [d.day for d in per_day],
                **{
                    label: [getattr(d, status) for d in per_day]
                    for status, label in appointments.STATUS_LABELS.items()
                },
            }
        )
        charts.show(
            charts.bar(frame, x="Day", y=list(appointments.STATUS_LABELS.values()),
                       title="Appointments per day, by status", x_title="Day (Lagos)", y_title="Appointments",
                       colours=STATUS_COLOURS, counts=True),
            key=f"{KEY}_per_day",
        )  # fmt: skip
    else:
        say.info(f"No appointments between {shown.label}.")
with load_column:
    busiest = data.cached(appointments.busiest_physicians, actor, start=shown.start, end=shown.end, limit=8)
    if busiest:
        frame = pd.DataFrame({"Physician": [f"Dr. {p.physician_name}" for p in busiest],
                              "Appointments": [p.appointments for p in busiest]})  # fmt: skip
        charts.show(
            charts.bar(frame, x="Physician", y="Appointments", title="Busiest physicians", x_title="",
                       y_title="Appointments (not cancelled)", horizontal=True, counts=True, height=320),
            key=f"{KEY}_busiest",
        )  # fmt: skip
if len(rates) > 1:
    frame = pd.DataFrame(
        {
            "Month": [r.month for r in rates],
            # A month with no outcome yet (the coming weeks) has no rate: a gap in the line, not a 0 %.
            "No-show rate": [None if r.no_show_rate is None else 100 * r.no_show_rate for r in rates],
            "Cancellation rate": [None if r.cancellation_rate is None else 100 * r.cancellation_rate for r in rates],
        }
    )
    figure = charts.line(frame, x="Month", y=["No-show rate", "Cancellation rate"],
                         title="No-shows and cancellations by month", x_title="Month",
                         y_title="Share of appointments (%)", hover_format=".1f", period="month",
                         colours={"No-show rate": charts.VERMILLION, "Cancellation rate": charts.GREY})  # fmt: skip
    charts.show(figure, key=f"{KEY}_rates")
