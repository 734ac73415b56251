"""Overview: the day's headline figures for the working scope."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("overview")

from dashboard import data  # noqa: E402
from dashboard.components.header import page_header  # noqa: E402
from dashboard.formatting import count, lagos_date  # noqa: E402
from dashboard.services import overview  # noqa: E402

page_header("Overview", "What needs attention now.", viewer)
counts = data.cached(overview.overview_counts, viewer.actor)

hospitals, appointments, waiting, emergencies = st.columns(4)
hospitals.metric("Active hospitals", count(counts.active_hospitals), border=True)
appointments.metric(
    "Appointments this month",
    count(counts.appointments_this_month),
    delta=f"{counts.appointments_this_month - counts.appointments_last_month:+,}",
    delta_color="off",
    delta_description="vs last month",
    help=(
        f"Booked for {lagos_date(counts.month_start)} to today, cancelled ones left out; compared with the same "
        "days of last month."
    ),
    border=True,
)
waiting.metric("Patients waiting", count(counts.patients_waiting), border=True)
emergencies.metric(
    "Open emergencies",
    count(counts.open_emergencies),
    delta=f"{counts.critical_emergencies:,} critical" if counts.critical_emergencies else None,
    delta_color="off",
    delta_arrow="off",  # a breakdown, not a trend
    border=True,
)
if counts.active_hospitals == 0:
    st.info("There are no active hospitals in this scope yet. Hospitals added to the network appear here.")
