"""Appointments: each physician's day, week, hours and leave, booking without double-booking, what patients are told.

The database refuses a physician's slot twice (migration 0006), so two administrators booking the
same slot at once get one booking and one sentence. Every booking, move and cancellation tells the
patient in the same transaction (a notification the platform's apps deliver).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard.domains.appointments import (
    appointment_figures,
    appointment_list,
    appointments_booking_page,
    appointments_changes_page,
    appointments_charts_page,
    words,
)
from dashboard.domains.appointments.appointment_list import UPCOMING_DAYS
from dashboard.domains.appointments.schedule import Schedule
from dashboard.kit import filters, kpi, listing
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, count, percent
from dashboard.shell import data
from db.vocab import APPOINTMENT_STATUSES, CONSULTATION_TYPES

COLUMNS = Table(
    [
        Column("Date", "day", "date"),
        Column("Time", "time"),
        hospital_column(),
        Column("Patient", "patient_name"),
        Column("Hospital no.", "hospital_number"),
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
    week = appointments_booking_page.show(ctx)
    page = _listed(ctx, shown, week)
    if ctx.can_write and page.rows:
        appointments_changes_page.show(ctx, page.rows)
    appointments_charts_page.show(ctx, shown, figures)


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


def _listed(ctx: PageContext, shown: filters.DateRange, week: Schedule):
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
