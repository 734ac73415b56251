"""Appointments: each physician's day and week, booking without double-booking, and what patients are told.

The database refuses a physician's slot twice (migration 0006), so two administrators booking the
same slot at once get one booking and one sentence. Every booking, move and cancellation tells the
patient in the same transaction (a notification the platform's apps deliver).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard.domains.appointments import appointment_figures, appointment_list, booking, changes, schedule, words
from dashboard.domains.appointments.appointment_list import UPCOMING_DAYS
from dashboard.domains.appointments.slots import MAX_DAYS_AHEAD, SLOT_TIMES
from dashboard.kit import charts, commands, filters, kpi, listing, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, count, lagos_date, md_escape, percent
from dashboard.shell import data
from db.vocab import APPOINTMENT_STATUSES, APPOINTMENT_TYPES, CONSULTATION_TYPES

STATUS_COLOURS = {
    "Pending": charts.SKY,
    "Confirmed": charts.BLUE,
    "Completed": charts.GREEN,
    "No-show": charts.VERMILLION,
    "Cancelled": charts.GREY,
}
TOLD = " The patient has been told."
BOOK = Command("book", booking.book, done="Booked {name} with {doctor} at {at} on {on}." + TOLD,
               toast="Booked {name}, {at} on {on}.", words=("name", "doctor", "at", "on"))  # fmt: skip
CONFIRM = Command("confirm", changes.confirm, done="{name}'s appointment is confirmed.")
COMPLETE = Command("complete", changes.complete, done="{name}'s appointment is completed.")
NO_SHOW = Command("no_show", changes.mark_no_show, done="{name} is marked as a no-show.")
RESCHEDULE = Command("reschedule", changes.reschedule, done="{name}'s appointment moved to {at} on {on}." + TOLD,
                     words=("name", "at", "on"))  # fmt: skip
CANCEL = Command("cancel", changes.cancel, done="{name}'s appointment is cancelled." + TOLD,
                 question="Cancel {name}'s appointment at {at} on {on}? The patient is told.",
                 words=("name", "at", "on"))  # fmt: skip
STATUS_BUTTONS = (("Confirm", CONFIRM), ("Completed", COMPLETE), ("No-show", NO_SHOW))

COLUMNS = Table(
    [
        Column("Date", "day", "date"),
        Column("Time", "time"),
        hospital_column(),
        Column("Patient", "patient_name"),
        Column("Physician", "physician_name"),
        Column("Type", lambda r: words.type_label(r.appointment_type)),
        Column("How", lambda r: "Virtual" if r.virtual else "In person"),
        Column("Status", lambda r: words.status_label(r.status)),
        Column("Notes", "notes", export_only=True, empty=""),
    ]
)
APPOINTMENTS = listing.Listing(
    key="appointments",
    noun=Noun("appointment", "appointments"),
    list_service=appointment_list.list_appointments,
    export_service=appointment_list.export_appointments,
    table=COLUMNS,
    file_stem="appointments",
    search_label="Search by patient",
    search_placeholder="Name or email",
    empty_filtered="No appointments match these filters. Clear them to see every appointment in the range.",
)


def render(ctx: PageContext) -> None:
    ctx.header("Who is booked with whom, and how bookings went over the days below.")
    ctx.done()
    shown = _shown(ctx)
    # The figures may be a minute old (a write here makes them stale at once): cached, and read in one pass.
    # The schedule and the list below stay live (data.call): a booking form's free times and the rows acted on.
    figures = data.cached(appointment_figures.figures, ctx.actor, start=shown.start, end=shown.end)
    _cards(ctx, shown, figures.totals, figures.share)
    st.subheader("Who is free when")
    hospital_id = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_schedule_hospital",
                                              help="A schedule is one hospital's physicians; bookings go there too.")
    week = _schedule(ctx, hospital_id)
    if ctx.can_write:
        with panel(ctx, "Book an appointment", "book", icon=":material/event_available:"):
            _booking_form(ctx, hospital_id, week)
    page = _listed(ctx, shown, week)
    if ctx.can_write and page.rows:
        with panel(ctx, "Change an appointment", "change", icon=":material/edit_calendar:"):
            st.caption("The appointments on this page of the list; search or filter above to find another.")
            _actions(ctx, page.rows)
    _charts(ctx, shown, figures)


def _shown(ctx: PageContext) -> filters.DateRange:
    """The days the cards, the charts and the list cover: one range, so a rate can be checked against the list."""
    upcoming = st.toggle(
        f"Include the next {UPCOMING_DAYS} days", value=True, key=f"{ctx.key}_upcoming",
        help="The cards, the charts and the list all cover the same days: the sidebar's range, and with this "
        f"on the next {UPCOMING_DAYS} days too.",
    )  # fmt: skip
    period = ctx.period
    shown = filters.DateRange(*appointment_list.covered(period.start, period.end, today=filters.today(),
                                                        upcoming=upcoming))  # fmt: skip
    reach = f"the sidebar's range and the next {UPCOMING_DAYS} days" if shown != period else "the sidebar's range"
    st.caption(f"Appointments dated {shown.label} ({reach}): the same appointments as the list below.")
    return shown


def _cards(ctx: PageContext, shown: filters.DateRange, totals, share) -> None:
    here = f"Here: {shown.label}, the appointments of the list below."
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("appointments_booked", count(totals.appointments),
                        help_extra=f"{here} {count(totals.cancelled)} of them cancelled."),
        kpi.figure_card("no_show_rate", percent(totals.no_show_rate),
                        help_extra=f"{here} {count(totals.no_show)} no-shows of "
                        f"{count(totals.completed + totals.no_show)} with an outcome."),
        kpi.figure_card("cancellation_rate", percent(totals.cancellation_rate),
                        help_extra=f"{here} {count(totals.cancelled)} cancelled of {count(totals.appointments)}."),
        kpi.figure_card("virtual_share", percent(share.virtual_share),
                        help_extra=f"{here} {count(share.virtual)} virtual and {count(share.in_person)} in person."),
    ])  # fmt: skip


def _schedule(ctx: PageContext, hospital_id: str) -> schedule.Schedule:
    """Each physician's day (who holds which slot) or week (how many slots a day)."""
    view_column, day_column = st.columns([1, 2])
    view = view_column.segmented_control("View", ["Day", "Week"], default="Day", key=f"{ctx.key}_view") or "Day"
    # After a booking the grid moves to the booked day, so the booking shows (set before the widget is drawn).
    booked_day = st.session_state.pop(f"{ctx.key}__booked_day", None)
    if booked_day is not None:
        st.session_state[f"{ctx.key}_day"] = booked_day
    first_day = day_column.date_input(
        "Day" if view == "Day" else "Week from", value=None if booked_day is not None else filters.today(),
        format="DD/MM/YYYY", key=f"{ctx.key}_day",
    ) or filters.today()  # fmt: skip
    week = data.call(schedule.schedule, ctx.actor, hospital_id=hospital_id, start=first_day,
                     days=1 if view == "Day" else 7)  # fmt: skip
    names = [p.label for p in week.physicians]
    if not week.physicians:
        say.info(f"{week.hospital_name} has no active physicians to book. Physicians are added by the platform.")
    elif view == "Day":
        grid = week.day_grid(first_day)
        charts.show(charts.occupancy_grid(
            columns=week.slot_times, rows=names, filled=[[int(s is not None) for s in row] for row in grid],
            hover=[["free" if s is None else s.summary for s in row] for row in grid],
            title=f"{lagos_date(first_day)}, Lagos time: booked slots blue, free ones pale", x_title="",
        ), key=f"{ctx.key}_day_grid")  # fmt: skip
        off_grid = f", and {count(week.off_grid)} outside the slots (e.g. evening video calls)" if week.off_grid else ""
        st.caption(f"{count(week.on_grid)} booked of {count(week.grid_size)} slots at {md_escape(week.hospital_name)}"
                   f"{off_grid}. Point at a slot to see who is booked.")  # fmt: skip
    else:
        taken, a_day = week.booked_a_day(), len(week.slot_times)
        charts.show(charts.occupancy_grid(
            columns=[f"{d:%a} {d.day} {d:%b}" for d in week.days], rows=names, filled=taken,
            hover=[[f"{n} booked, {a_day - n} free" for n in row] for row in taken],
            labels=[[f"{n}/{a_day}" for n in row] for row in taken], scale_max=a_day,
            title=f"Booked slots a day, the week from {lagos_date(first_day)}", x_title="",
        ), key=f"{ctx.key}_week_grid")  # fmt: skip
        st.caption("Each cell: slots booked out of the day's slots. Pick Day to see the times.")
    return week


def _booking_form(ctx: PageContext, hospital_id: str, week: schedule.Schedule) -> None:
    patient, patient_name = pickers.patient(ctx.viewer, booking.find_patients, commands.form_key(ctx, "patient"))
    physicians = {p.physician_id: p.label for p in week.physicians}
    if not physicians:
        st.caption("This hospital has no active physicians to book.")
        return
    physician = st.selectbox("Physician", list(physicians), format_func=physicians.get,
                             key=commands.form_key(ctx, "physician"))  # fmt: skip
    day_column, time_column = st.columns(2)
    today = filters.today()
    day = day_column.date_input("Date", value=today + timedelta(days=1), min_value=today,
                                max_value=today + timedelta(days=MAX_DAYS_AHEAD), format="DD/MM/YYYY",
                                key=commands.form_key(ctx, "date"))  # fmt: skip
    that_day = data.call(schedule.schedule, ctx.actor, hospital_id=hospital_id, start=day, days=1)
    taken, free = that_day.taken(physician, day), that_day.first_free(physician, day)
    time_slot = time_column.selectbox(
        "Time", list(SLOT_TIMES), index=SLOT_TIMES.index(free) if free else 0,
        format_func=lambda t: t + ("  (booked)" if t in taken else ""),
        key=commands.form_key(ctx, f"time_{physician}_{day}"), help="Booked times are marked; booking one is refused.",
    )  # fmt: skip
    type_column, how_column = st.columns(2)
    kind = type_column.selectbox("Type", APPOINTMENT_TYPES, format_func=words.type_label,
                                 key=commands.form_key(ctx, "type"))  # fmt: skip
    how = how_column.radio("How", CONSULTATION_TYPES, format_func=words.how_label, horizontal=True,
                           key=commands.form_key(ctx, "how"))  # fmt: skip
    notes = st.text_area("Notes", max_chars=booking.MAX_NOTES_CHARS, height=68, key=commands.form_key(ctx, "notes"))
    if st.button("Book", type="primary", key=f"{ctx.key}_book"):
        if patient is None:
            say.error("Find and pick the patient to book first.")
            return
        commands.run(
            ctx, BOOK, affects=hospital_id, after=lambda: st.session_state.__setitem__(f"{ctx.key}__booked_day", day),
            hospital_id=hospital_id, patient_id=patient, physician_id=physician, day=day, time=time_slot,
            appointment_type=kind, consultation_type=how, notes=notes or None,
            name=patient_name, doctor=physicians[physician], at=time_slot, on=lagos_date(day),
        )  # fmt: skip


def _listed(ctx: PageContext, shown: filters.DateRange, week: schedule.Schedule):
    st.subheader("Booked appointments")
    st.caption(f"Dated {shown.label}. Upcoming appointments first, the next one at the top; then past ones, the "
               "latest first. The export has the same order.")  # fmt: skip
    physician_column, status_column, how_column = st.columns(3)
    physicians = {p.physician_id: p.label for p in week.physicians}
    chosen = {
        "physician_id": physician_column.selectbox("Physician", [None, *physicians], key=f"{ctx.key}_filter_physician",
                                                   format_func=lambda i: physicians.get(i, "All physicians")),
        "status": status_column.selectbox("Status", [None, *APPOINTMENT_STATUSES], key=f"{ctx.key}_filter_status",
                                          format_func=lambda s: "Any status" if s is None else words.status_label(s)),
        "consultation_type": how_column.selectbox(
            "In person or virtual", [None, *CONSULTATION_TYPES], key=f"{ctx.key}_filter_how",
            format_func=lambda c: "Both" if c is None else words.how_label(c)),
    }  # fmt: skip
    empty = f"No appointments between {shown.label}. Pick another date range in the sidebar, or book one above."
    return listing.show(replace(APPOINTMENTS, empty=empty), ctx.viewer,
                        filters={"start": shown.start, "end": shown.end, **chosen})  # fmt: skip


def _actions(ctx: PageContext, rows: list) -> None:
    by_id = {r.appointment_id: r for r in rows}
    ids = list(by_id)
    # The picker holds its choice by appointment id. Its widget is keyed by the write counter: after a
    # write its labels are read again (a new time, a new status) and it still shows the same appointment,
    # rather than Streamlit dropping a choice whose label changed and jumping to the first one.
    remembered = st.session_state.get(f"{ctx.key}_chosen_id")
    chosen = st.selectbox(
        "Appointment", ids, index=ids.index(remembered) if remembered in by_id else 0,
        format_func=lambda i: f"{lagos_date(by_id[i].day)} {by_id[i].time} · {by_id[i].patient_name} with "
        f"{by_id[i].physician_name} · {words.status_label(by_id[i].status)}", key=commands.form_key(ctx, "chosen"),
    )  # fmt: skip
    st.session_state[f"{ctx.key}_chosen_id"] = chosen
    row = by_id[chosen]
    about = {"affects": row.hospital_id, "name": row.patient_name}
    status_tab, move_tab, cancel_tab = st.tabs(["Confirm or close", "Reschedule", "Cancel"], key=f"{ctx.key}_tabs",
                                               on_change="rerun")  # fmt: skip
    with status_tab:
        for column, (label, command) in zip(st.columns(3), STATUS_BUTTONS, strict=True):
            if column.button(label, key=f"{ctx.key}_{command.name}", width="stretch"):
                commands.run(ctx, command, row.appointment_id, **about)
    with move_tab:  # the move fields start from the appointment's current date and time
        day_column, time_column = st.columns(2)
        today = filters.today()
        new_day = day_column.date_input("New date", value=max(row.day, today), min_value=today, format="DD/MM/YYYY",
                                        key=commands.form_key(ctx, f"move_day_{row.appointment_id}"))  # fmt: skip
        new_time = time_column.selectbox("New time", list(SLOT_TIMES), key=commands.form_key(
            ctx, f"move_time_{row.appointment_id}"), index=SLOT_TIMES.index(row.time) if row.time in SLOT_TIMES else 0)
        if st.button("Reschedule", key=f"{ctx.key}_reschedule"):
            commands.run(ctx, RESCHEDULE, row.appointment_id, day=new_day, time=new_time, at=new_time,
                         on=lagos_date(new_day), **about)  # fmt: skip
    with cancel_tab:
        reason = st.text_input("Reason", max_chars=changes.MAX_REASON_CHARS,
                               key=f"{ctx.key}_cancel_reason_{row.appointment_id}")  # fmt: skip
        if st.button("Cancel appointment…", key=f"{ctx.key}_cancel"):
            if not reason.strip():
                say.error("Give a reason for cancelling: the patient is told it.")
            else:
                commands.ask_first(ctx, CANCEL, row.appointment_id, reason=reason, at=row.time,
                                   on=lagos_date(row.day), **about)  # fmt: skip
        commands.confirming(ctx, CANCEL)


def _charts(ctx: PageContext, shown: filters.DateRange, figures: appointment_figures.AppointmentFigures) -> None:
    st.subheader("How bookings went")
    by_status_column, load_column = st.columns([3, 2])
    with by_status_column:
        if figures.totals.appointments:
            frame = pd.DataFrame({"Day": [d.day for d in figures.per_day], **{
                label: [getattr(d, status) for d in figures.per_day] for status, label in words.STATUS_LABELS.items()
            }})  # fmt: skip
            charts.show(charts.bar(frame, x="Day", y=list(words.STATUS_LABELS.values()),
                                   title="Appointments per day, by status", x_title="Day (Lagos)",
                                   y_title="Appointments", colours=STATUS_COLOURS, counts=True),
                        key=f"{ctx.key}_per_day")  # fmt: skip
        else:
            say.info(f"No appointments between {shown.label}.")
    with load_column:
        busiest = data.cached(appointment_figures.busiest_physicians, ctx.actor, start=shown.start, end=shown.end,
                              limit=8)  # fmt: skip
        if busiest:
            frame = pd.DataFrame({"Physician": [f"Dr. {p.physician_name}" for p in busiest],
                                  "Appointments": [p.appointments for p in busiest]})  # fmt: skip
            charts.show(charts.bar(frame, x="Physician", y="Appointments", title="Busiest physicians", x_title="",
                                   y_title="Appointments (not cancelled)", horizontal=True, counts=True, height=320),
                        key=f"{ctx.key}_busiest")  # fmt: skip
    rates = figures.monthly
    if len(rates) > 1:
        # A month with no outcome yet (the coming weeks) has no rate: a gap in the line, not a 0 %.
        frame = pd.DataFrame({
            "Month": [r.month for r in rates],
            "No-show rate": [None if r.no_show_rate is None else 100 * r.no_show_rate for r in rates],
            "Cancellation rate": [None if r.cancellation_rate is None else 100 * r.cancellation_rate for r in rates],
        })  # fmt: skip
        charts.show(charts.line(frame, x="Month", y=["No-show rate", "Cancellation rate"],
                                title="No-shows and cancellations by month", x_title="Month",
                                y_title="Share of appointments (%)", hover_format=".1f", period="month",
                                colours={"No-show rate": charts.VERMILLION, "Cancellation rate": charts.GREY}),
                    key=f"{ctx.key}_rates")  # fmt: skip
