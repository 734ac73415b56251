"""Appointments, changing one: confirm or close it, move it to another time, or cancel it (asked first).

A part of the Appointments page (appointments_page.py draws it under the list): the appointments on the
list's page, one picked, and the commands on it. The services decide which status may follow which.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.appointments import appointments_times_page, changes, schedule, words
from dashboard.domains.appointments.slots import SLOT_TIMES
from dashboard.kit import commands, filters, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.formatting import lagos_date
from dashboard.shell import data

TOLD = " The patient has been told."
CONFIRM = Command("confirm", changes.confirm, done="{name}'s appointment is confirmed.")
COMPLETE = Command("complete", changes.complete, done="{name}'s appointment is completed.")
NO_SHOW = Command("no_show", changes.mark_no_show, done="{name} is marked as a no-show.")
RESCHEDULE = Command("reschedule", changes.reschedule, done="{name}'s appointment moved to {at} on {on}." + TOLD,
                     words=("name", "at", "on"))  # fmt: skip
CANCEL = Command("cancel", changes.cancel, done="{name}'s appointment is cancelled." + TOLD,
                 question="Cancel {name}'s appointment at {at} on {on}? The patient is told.",
                 words=("name", "at", "on"))  # fmt: skip
STATUS_BUTTONS = (("Confirm", CONFIRM), ("Completed", COMPLETE), ("No-show", NO_SHOW))


def show(ctx: PageContext, rows: list) -> None:
    with panel(ctx, "Change an appointment", "change", icon=":material/edit_calendar:"):
        st.caption("The appointments on this page of the list; search or filter above to find another.")
        _actions(ctx, rows)


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
    with move_tab:
        if move_tab.open:  # lazy: only an open tab reads the physician's hours that day
            move(ctx, row)
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


def move(ctx: PageContext, row, *, part: str = "move") -> None:
    """Move `row` (an AppointmentRow) to a free time inside its physician's hours, or outside them with a reason.

    The fields start from the appointment's current date; the times offered are that day's free ones.
    """
    day_column, time_column = st.columns(2)
    today = filters.today()
    new_day = day_column.date_input("New date", value=max(row.day, today), min_value=today, format="DD/MM/YYYY",
                                    key=commands.form_key(ctx, f"{part}_day_{row.appointment_id}"))  # fmt: skip
    if row.hospital_id is None:  # booked by another client with no hospital: no hours to follow
        new_time = time_column.selectbox("New time", list(SLOT_TIMES), key=commands.form_key(ctx, f"{part}_time"))
        override, reason = False, None
    else:
        that_day = data.call(schedule.schedule, ctx.actor, hospital_id=row.hospital_id, start=new_day)
        new_time, override, reason = appointments_times_page.offered_time(
            ctx, that_day, row.physician_id, new_day, time_column, f"{part}_{row.appointment_id}_{new_day}"
        )
    if st.button("Reschedule", key=f"{ctx.key}_{part}_reschedule_{row.appointment_id}"):
        if new_time is None:
            say.error("Pick a date with free time inside the physician's hours, or move it outside them with a reason.")
            return
        commands.run(ctx, RESCHEDULE, row.appointment_id, day=new_day, time=new_time, override=override,
                     override_reason=reason or None, at=new_time, on=lagos_date(new_day), affects=row.hospital_id,
                     name=row.patient_name)  # fmt: skip
