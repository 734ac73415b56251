"""Appointments, how bookings went: per day by status, the busiest physicians, no-shows and cancellations by month.

A part of the Appointments page (appointments_page.py draws it last), over the same days as its cards and list.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.appointments import appointment_figures, words
from dashboard.kit import charts, filters, say
from dashboard.kit.page import PageContext
from dashboard.shell import data

STATUS_COLOURS = {
    "Pending": charts.SKY,
    "Confirmed": charts.BLUE,
    "Completed": charts.GREEN,
    "No-show": charts.VERMILLION,
    "Cancelled": charts.GREY,
}


def show(ctx: PageContext, shown: filters.DateRange, figures: appointment_figures.AppointmentFigures) -> None:
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
