"""Appointments, the schedule's grid: each physician's day or week with their hours and leave shaded.

A part of the Appointments page (appointments_booking_page.py draws it): a booked slot is blue, a free
slot inside the physician's hours pale blue, time outside their hours grey, leave orange, and a booking
outside the hours (an administrator's override, or made before the hours or the leave were set) vermilion,
so it stands out. The states come from the service's `Schedule`.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.domains.appointments import schedule
from dashboard.domains.appointments.schedule import BOOKED, BOOKED_OUTSIDE, FREE, OFF, ON_LEAVE, Schedule
from dashboard.kit import charts, say
from dashboard.kit.state_grid import state_grid
from dashboard.platform.formatting import count, lagos_date, md_escape

# In the order of the Schedule's states (OFF, FREE, BOOKED, BOOKED_OUTSIDE, ON_LEAVE).
COLOURS = ("#d9dde1", "#d4e9f7", charts.BLUE, charts.VERMILLION, charts.ORANGE)
DAY_NAMES = ("Outside hours", "Free", "Booked", "Booked outside hours", "On leave")
WEEK_NAMES = ("Not working", "Free slots left", "Fully booked", "A booking outside hours", "On leave")
DAY_HOVER = {OFF: "outside their hours", FREE: "free", ON_LEAVE: "on leave"}


def draw(ctx, week: Schedule, view: str, first_day: date) -> None:
    """The grid of the day (times) or the week (days), and a caption with the counts behind it."""
    if not week.physicians:
        say.info(f"{week.hospital_name} has no active physicians to book. Physicians are added by the platform.")
        return
    if view == "Day":
        _day(ctx, week, first_day)
    else:
        _week(ctx, week, first_day)
    _hours_note(week)


def _row_label(week: Schedule, physician: schedule.PhysicianChoice, day: date | None) -> str:
    hours = week.hours_of(physician.physician_id)
    away = hours.leave_on(day) if day is not None else None
    if away is not None:
        return f"{physician.label} \u00b7 {away.label}"
    return physician.label if hours.keeps_hours else f"{physician.label} \u00b7 no hours set"


def _day(ctx, week: Schedule, day: date) -> None:
    states, grid = week.day_states(day), week.day_grid(day)
    hover = [
        [DAY_HOVER.get(state) or (slot.summary + (" \u2014 outside their hours" if state == BOOKED_OUTSIDE else ""))
         for state, slot in zip(state_row, slot_row, strict=True)]
        for state_row, slot_row in zip(states, grid, strict=True)
    ]  # fmt: skip
    # One "Leave" word a row, on its first leave cell: the state is named in text, not by colour alone.
    labels = [["Leave" if s == ON_LEAVE and ON_LEAVE not in r[:i] else "" for i, s in enumerate(r)] for r in states]
    charts.show(state_grid(
        columns=week.slot_times, rows=[_row_label(week, p, day) for p in week.physicians], states=states,
        legend=list(zip(DAY_NAMES, COLOURS, strict=True)), hover=hover, labels=labels,
        title=f"{lagos_date(day)}, Lagos time: each physician's hours, bookings and leave",
    ), key=f"{ctx.key}_day_grid")  # fmt: skip
    inside = sum(row.count(FREE) + row.count(BOOKED) for row in states)
    outside = sum(row.count(BOOKED_OUTSIDE) for row in states)
    off_grid = f", and {count(week.off_grid)} outside the slots (e.g. evening video calls)" if week.off_grid else ""
    flagged = f" {count(outside)} booked outside hours or during leave (vermilion)." if outside else ""
    st.caption(f"{count(week.on_grid)} booked, {count(inside)} slots inside the physicians' hours at "
               f"{md_escape(week.hospital_name)}{off_grid}.{flagged} Point at a slot to see who holds it.")  # fmt: skip


def _week(ctx, week: Schedule, first_day: date) -> None:
    cells = week.week_cells()
    charts.show(state_grid(
        columns=[f"{d:%a} {d.day} {d:%b}" for d in week.days],
        rows=[_row_label(week, p, None) for p in week.physicians], states=[[c[0] for c in row] for row in cells],
        legend=list(zip(WEEK_NAMES, COLOURS, strict=True)), hover=[[c[2] for c in row] for row in cells],
        labels=[[c[1] for c in row] for row in cells],
        title=f"Booked slots a day of the slots in each physician's hours, the week from {lagos_date(first_day)}",
    ), key=f"{ctx.key}_week_grid")  # fmt: skip
    st.caption("Each cell: slots booked out of the slots inside the physician's hours that day; Off is a day without "
               "a session, Leave a day away. Pick Day to see the times.")  # fmt: skip


def _hours_note(week: Schedule) -> None:
    without = [p.label for p in week.physicians if not week.hours_of(p.physician_id).keeps_hours]
    if without:
        names = ", ".join(without[:3]) + (f" and {count(len(without) - 3)} more" if len(without) > 3 else "")
        st.caption(f"No weekly hours set for {md_escape(names)}: any time on the grid can be booked with them "
                   "(leave still counts). An administrator sets hours under Working hours and leave.")  # fmt: skip
