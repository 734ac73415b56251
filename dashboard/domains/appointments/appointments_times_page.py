"""Appointments, the time picker of a booking or a move: free times inside the physician's hours, or the override.

A part of the Appointments page (the booking form and the reschedule draw it): only free times inside the
physician's sessions and outside their leave are offered; ticking "Book outside their hours" offers every
time and asks for the reason, which the service requires and audits with the booking.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.appointments import schedule
from dashboard.domains.appointments.slots import SLOT_TIMES
from dashboard.kit import commands
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import lagos_date


def offered_time(ctx: PageContext, that_day: schedule.Schedule, physician: str, day, column, part: str):
    """The time picker: free times inside the physician's hours; all times once the override is ticked.

    Returns (time or None, override ticked, its reason). The service refuses an override without a reason.
    """
    override = st.checkbox("Book outside their hours", key=commands.form_key(ctx, f"override_{part}"),
                           help="For an administrator: a time outside the physician's sessions or during their "
                           "leave. Give the reason; it is kept in the audit trail.")  # fmt: skip
    taken = that_day.taken(physician, day)
    # Times inside the hours, booked ones marked (booking one is refused in a sentence, as before hours existed).
    inside = [t for t in SLOT_TIMES if that_day.bookable(physician, day, t)]
    times = list(SLOT_TIMES) if override else inside
    if not times:
        away = that_day.hours_of(physician).leave_on(day)
        why = f"is away ({away.label})" if away else "has no free time inside their hours"
        column.caption(f"The physician {why} on {lagos_date(day)}. Pick another date, or tick the box to book "
                       "outside their hours.")  # fmt: skip
        return None, override, None
    first = that_day.first_free(physician, day)
    slot = column.selectbox(
        "Time", times, index=times.index(first) if first in times else 0,
        format_func=lambda t: t + ("  (booked)" if t in taken else "  (outside hours)" if t not in inside else ""),
        key=commands.form_key(ctx, f"time_{part}_{override}"),
        help="Only times inside the physician's hours are offered, unless you book outside their hours; booked "
        "times are marked, and booking one is refused.",
    )  # fmt: skip
    reason = None
    if override:
        reason = st.text_input("Reason for booking outside their hours", max_chars=200,
                               key=commands.form_key(ctx, f"override_reason_{part}"))  # fmt: skip
    return slot, override, reason
