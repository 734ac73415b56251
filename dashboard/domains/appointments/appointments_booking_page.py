"""Appointments, the schedule and the booking form: who is free when, and booking a free slot.

A part of the Appointments page (appointments_page.py draws it): each physician's day (who holds which
slot) or week (how many slots a day) with their hours and leave (appointments_grid_page.py), then the form
that books one. The form offers only free times inside the physician's hours; an administrator may tick
the override and give a reason to book outside them. Which slot is taken, and which is inside the hours,
come from the service's `Schedule`.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard.domains.appointments import (
    appointments_grid_page,
    appointments_hours_page,
    appointments_times_page,
    booking,
    schedule,
    words,
)
from dashboard.domains.appointments.slots import MAX_DAYS_AHEAD
from dashboard.kit import commands, filters, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.formatting import lagos_date
from dashboard.shell import data
from db.vocab import APPOINTMENT_TYPES, CONSULTATION_TYPES

BOOK = Command("book", booking.book, done="Booked {name} with {doctor} at {at} on {on}. The patient has been told.",
               toast="Booked {name}, {at} on {on}.", words=("name", "doctor", "at", "on"))  # fmt: skip


def show(ctx: PageContext) -> schedule.Schedule:
    """The schedule of the hospital picked, its booking form for those who may book, and its physicians' hours and
    leave (appointments_hours_page.py); returns the schedule."""
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
    appointments_hours_page.show(ctx, week)
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
    appointments_grid_page.draw(ctx, week, view, first_day)
    return week


def _booking_form(ctx: PageContext, hospital_id: str, week: schedule.Schedule) -> None:
    patient, patient_name = pickers.patient(
        ctx.viewer, booking.find_patients, commands.form_key(ctx, "patient"), hospital_id=hospital_id
    )
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
    time_slot, override, reason = appointments_times_page.offered_time(
        ctx, that_day, physician, day, time_column, f"{physician}_{day}"
    )
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
        if time_slot is None:
            say.error("Pick a date with free time inside the physician's hours, or book outside them with a reason.")
            return
        commands.run(
            ctx, BOOK, affects=hospital_id, after=lambda: st.session_state.__setitem__(f"{ctx.key}__booked_day", day),
            hospital_id=hospital_id, patient_id=patient, physician_id=physician, day=day, time=time_slot,
            appointment_type=kind, consultation_type=how, notes=notes or None, override=override,
            override_reason=reason or None,
            name=patient_name, doctor=physicians[physician], at=time_slot, on=lagos_date(day),
        )  # fmt: skip
