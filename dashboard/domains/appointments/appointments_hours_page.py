"""Appointments, working hours and leave: the bookings a leave clashes with, and each physician's hours and leave.

A part of the Appointments page (appointments_page.py draws it under the schedule): first the booked
appointments that fall in a physician's leave, each movable with the ordinary reschedule (the patient is
told the new time); then, for those who run the hospital, a physician's weekly sessions and leave, set and
withdrawn through the kit's commands (appointments_hours_forms_page.py).
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.appointments import (
    appointments_changes_page,
    appointments_hours_forms_page,
    hours_commands,
    words,
)
from dashboard.domains.appointments.schedule import Schedule
from dashboard.kit import commands, say
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import Noun, lagos_date
from dashboard.shell import data

BOOKINGS = Noun("booked appointment", "booked appointments")
CLASHES = Table([
    Column("Date", lambda c: c.appointment.day, "date"),
    Column("Time", lambda c: c.appointment.time),
    Column("Patient", lambda c: c.appointment.patient_name),
    Column("Physician", lambda c: c.appointment.physician_name),
    Column("Away", "leave_label"),
    Column("Status", lambda c: words.status_label(c.appointment.status)),
])  # fmt: skip


def show(ctx: PageContext, week: Schedule) -> None:
    st.subheader("Working hours and leave")
    clashes = data.call(hours_commands.leave_clashes, ctx.actor, hospital_id=week.hospital_id)
    _to_move(ctx, clashes)
    if ctx.can_write and week.physicians:
        box = panel(ctx, "Set a physician's hours and leave", "hours", icon=":material/schedule:")
        with box:
            if box.open:  # lazy: the physician's hours are read only while the panel is open
                _manage(ctx, week)


def _to_move(ctx: PageContext, clashes: list[hours_commands.Clash]) -> None:
    if not clashes:
        st.caption("No booked appointment falls in a physician's leave. When leave is recorded over booked days, "
                   "those appointments are listed here to move.")  # fmt: skip
        return
    fall = "it falls" if len(clashes) == 1 else "they fall"
    say.warning(f"{BOOKINGS.count(len(clashes))} to move: {fall} in the physician's leave. Move each to another "
                "time below; the patient is told the new time.", icon=":material/event_busy:")  # fmt: skip
    st.dataframe(CLASHES.frame(clashes, network_wide=False), hide_index=True, width="stretch")
    if not ctx.can_write:
        return
    by_id = {c.appointment.appointment_id: c.appointment for c in clashes}
    chosen = st.selectbox("Appointment to move", list(by_id), key=commands.form_key(ctx, "clash"),
                          format_func=lambda i: f"{lagos_date(by_id[i].day)} {by_id[i].time} · {by_id[i].patient_name}"
                          f" with {by_id[i].physician_name}")  # fmt: skip
    appointments_changes_page.move(ctx, by_id[chosen], part="clash_move")


def _manage(ctx: PageContext, week: Schedule) -> None:
    physicians = {p.physician_id: p.label for p in week.physicians}
    physician = st.selectbox("Physician", list(physicians), format_func=physicians.get,
                             key=f"{ctx.key}_hours_physician")  # fmt: skip
    found = data.call(hours_commands.physician_hours, ctx.actor, hospital_id=week.hospital_id, physician_id=physician)
    sessions_column, leave_column = st.columns(2, gap="large")
    with sessions_column:
        appointments_hours_forms_page.sessions(ctx, week.hospital_id, found)
    with leave_column:
        appointments_hours_forms_page.leave(ctx, week.hospital_id, found)
