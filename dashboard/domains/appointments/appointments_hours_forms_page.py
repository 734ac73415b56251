"""Appointments, a physician's weekly sessions and leave: the tables and the forms that set them.

A part of the Appointments page (appointments_hours_page.py draws it in its panel): add a session, remove
one (asked first), record leave (saying first how many booked appointments fall in it) and withdraw it
(asked first). Each bad input is refused by the service in a sentence.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard.domains.appointments import hours, hours_commands
from dashboard.kit import commands, filters
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import Noun, lagos_date
from dashboard.shell import data

BOOKINGS = Noun("booked appointment", "booked appointments")
SESSION_TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(6, 24) for m in (0, 15, 30, 45))  # the quarter hours
ADD_SESSION = Command("add_session", hours_commands.add_session, done="{doctor} now works {day}s {span}.",
                      words=("doctor", "day", "span"))  # fmt: skip
REMOVE_SESSION = Command("remove_session", hours_commands.remove_session, done="{doctor}: session {session} removed.",
                         question="Remove {doctor}'s session {session}? Appointments booked in it stay; new bookings "
                         "follow the hours left.", words=("doctor", "session"))  # fmt: skip
RECORD_LEAVE = Command("record_leave", hours_commands.record_leave, done="{doctor}: {what} recorded. {clashes}",
                       words=("doctor", "what", "clashes"))  # fmt: skip
WITHDRAW_LEAVE = Command("withdraw_leave", hours_commands.withdraw_leave, done="{doctor}: {what} withdrawn.",
                         question="Withdraw {doctor}'s {what}? They can be booked on those days again.",
                         words=("doctor", "what"))  # fmt: skip
SESSIONS = Table([Column("Day", lambda s: hours.WEEKDAYS[s.weekday - 1]), Column("From", "starts"),
                  Column("To", "ends")])  # fmt: skip
LEAVE = Table([Column("Away", "label"), Column("Reason", "reason", empty=""),
               Column("Every hospital", lambda item: item.hospital_id is None, "yes_no")])  # fmt: skip


def sessions(ctx: PageContext, hospital_id: str, found: hours_commands.PhysicianHours) -> None:
    st.markdown("**Weekly sessions**")
    sessions = {s.session_id: s for s in found.hours.sessions}
    if sessions:
        st.dataframe(SESSIONS.frame(sessions.values(), network_wide=False), hide_index=True, width="stretch")
    else:
        st.caption("No weekly hours set: any time on the grid can be booked with this physician. Add a session to "
                   "offer only its times.")  # fmt: skip
    day_column, from_column, to_column = st.columns([2, 1, 1])
    weekday = day_column.selectbox("Day", range(1, 8), format_func=lambda d: hours.WEEKDAYS[d - 1],
                                   key=commands.form_key(ctx, "session_day"))  # fmt: skip
    starts = from_column.selectbox("From", SESSION_TIMES, index=SESSION_TIMES.index("08:00"),
                                   key=commands.form_key(ctx, "session_from"))  # fmt: skip
    ends = to_column.selectbox("To", SESSION_TIMES, index=SESSION_TIMES.index("13:00"),
                               key=commands.form_key(ctx, "session_to"))  # fmt: skip
    if st.button("Add session", key=f"{ctx.key}_add_session"):
        commands.run(ctx, ADD_SESSION, hospital_id=hospital_id, physician_id=found.physician_id, weekday=weekday,
                     starts=starts, ends=ends, affects=hospital_id, doctor=found.doctor,
                     day=hours.WEEKDAYS[weekday - 1], span=f"{starts}\u2013{ends}")  # fmt: skip
    if sessions:
        remove_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
        session = remove_column.selectbox("Session to remove", list(sessions), key=commands.form_key(ctx, "session"),
                                          format_func=lambda i: sessions[i].label)  # fmt: skip
        if button_column.button("Remove…", key=f"{ctx.key}_remove_session"):
            commands.ask_first(ctx, REMOVE_SESSION, session, affects=hospital_id, doctor=found.doctor,
                               session=sessions[session].label)  # fmt: skip
        commands.confirming(ctx, REMOVE_SESSION)


def leave(ctx: PageContext, hospital_id: str, found: hours_commands.PhysicianHours) -> None:
    st.markdown("**Leave and away days**")
    leave = {item.leave_id: item for item in found.hours.leave}
    if leave:
        st.dataframe(LEAVE.frame(leave.values(), network_wide=False), hide_index=True, width="stretch")
    else:
        st.caption("No leave recorded from today on.")
    kind_column, first_column, last_column = st.columns([2, 2, 2])
    kind = kind_column.selectbox("Kind", tuple(hours.LEAVE_LABELS), format_func=hours.LEAVE_LABELS.get,
                                 key=commands.form_key(ctx, "leave_kind"))  # fmt: skip
    today = filters.today()
    first = first_column.date_input("First day", value=today, min_value=today - timedelta(days=365),
                                    format="DD/MM/YYYY", key=commands.form_key(ctx, "leave_first"))  # fmt: skip
    last = last_column.date_input("Last day", value=today + timedelta(days=4), min_value=today - timedelta(days=365),
                                  format="DD/MM/YYYY", key=commands.form_key(ctx, "leave_last"))  # fmt: skip
    reason = st.text_input("Reason (optional)", max_chars=hours_commands.MAX_LEAVE_REASON_CHARS,
                           key=commands.form_key(ctx, "leave_reason"))  # fmt: skip
    everywhere = ctx.network_wide and st.checkbox("At every hospital", key=commands.form_key(ctx, "leave_everywhere"))
    booked = data.call(hours_commands.booked_between, ctx.actor, hospital_id=hospital_id,
                       physician_id=found.physician_id, first_day=first, last_day=last)  # fmt: skip
    clashes = (f"{BOOKINGS.count(booked)} fall in it: move them under the schedule." if booked
               else "No booked appointment falls in it.")  # fmt: skip
    if booked:
        st.caption(f"{BOOKINGS.count(booked)} in these days; recording the leave lists them to move.")
    if st.button("Record leave", key=f"{ctx.key}_record_leave"):
        what = f"{hours.LEAVE_LABELS[kind].lower()} {lagos_date(first)} to {lagos_date(last)}"
        commands.run(ctx, RECORD_LEAVE, hospital_id=hospital_id, physician_id=found.physician_id, first_day=first,
                     last_day=last, kind=kind, reason=reason or None, every_hospital=everywhere, affects=hospital_id,
                     doctor=found.doctor, what=what, clashes=clashes)  # fmt: skip
    if leave:
        pick_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
        chosen = pick_column.selectbox("Leave to withdraw", list(leave), key=commands.form_key(ctx, "leave"),
                                       format_func=lambda i: leave[i].label)  # fmt: skip
        if button_column.button("Withdraw…", key=f"{ctx.key}_withdraw_leave"):
            commands.ask_first(ctx, WITHDRAW_LEAVE, chosen, affects=hospital_id, doctor=found.doctor,
                               what=leave[chosen].label)  # fmt: skip
        commands.confirming(ctx, WITHDRAW_LEAVE)
