"""Appointments, the schedule and the booking form: who is free when, and booking a free slot.

A part of the Appointments page (appointments_page.py draws it): each physician's day (who holds which
slot) or week (how many slots a day), then the form that books one. Which slot is taken, and the first
free one, come from the service's `Schedule`.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard.domains.appointments import booking, schedule, words
from dashboard.domains.appointments.slots import MAX_DAYS_AHEAD, SLOT_TIMES
from dashboard.kit import charts, commands, filters, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.formatting import count, lagos_date, md_escape
from dashboard.shell import data
from db.vocab import APPOINTMENT_TYPES, CONSULTATION_TYPES

BOOK = Command("book", booking.book, done="Booked {name} with {doctor} at {at} on {on}. The patient has been told.",
               toast="Booked {name}, {at} on {on}.", words=("name", "doctor", "at", "on"))  # fmt: skip


def show(ctx: PageContext) -> schedule.Schedule:
    """The schedule of the hospital picked, and its booking form for those who may book; returns the schedule."""
    st.subheader("Who is free when")
    hospital_id = pickers.hospital_for_action(
        ctx.viewer,
        f"{ctx.key}_schedule_hospital",
        help="A schedule is one hospital's physicians; bookings go there too.",
    )
    week = _schedule(ctx, hospital_id)
    if ctx.can_write:
        with panel(ctx, "Book an appointment", "book", icon=":material/event_available:"):
            _booking_form(ctx, hospital_id, week)
    return week


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
