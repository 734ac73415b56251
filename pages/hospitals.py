"""Hospitals: the directory of hospitals in scope, paginated in the database, with an audited export."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("hospitals")

import pandas as pd  # noqa: E402

from dashboard.components import listing  # noqa: E402
from dashboard.components.header import page_header  # noqa: E402
from dashboard.formatting import Noun, humanise, lagos_date  # noqa: E402
from dashboard.services import hospitals  # noqa: E402


def _as_table(rows: list) -> pd.DataFrame:
    # The columns a reader needs fit 1400 px; phone and email go to the export, where nothing is cut.
    return pd.DataFrame(
        {
            "Hospital": [r.name for r in rows],
            "City": [r.city or "—" for r in rows],
            "State": [r.state or "—" for r in rows],
            "Verification": [humanise(r.verification_status) for r in rows],
            "Active": ["Yes" if r.is_active else "No" for r in rows],
            "Staff accounts": [r.staff_accounts for r in rows],
            "Patients waiting": [r.patients_waiting for r in rows],
            "Joined": [lagos_date(r.created_at) for r in rows],
        }
    )


def _as_export(rows: list) -> pd.DataFrame:
    frame = _as_table(rows)
    frame.insert(len(frame.columns) - 1, "Phone", [r.phone or "—" for r in rows])
    frame.insert(len(frame.columns) - 1, "Email", [r.email or "—" for r in rows])
    return frame


HOSPITALS = listing.Listing(
    key="hospitals",
    noun=Noun("hospital", "hospitals"),
    list_service=hospitals.list_hospitals,
    export_service=hospitals.export_hospitals,
    to_frame=_as_table,
    export_frame=_as_export,
    file_stem="hospitals",
    search_label="Search by name, city or state",
    search_placeholder="e.g. Ibadan",
    empty="There are no hospitals in your scope yet.",
    empty_filtered="No hospitals match this search in your scope. Clear the search to see them all.",
)

page_header(
    "Hospitals",
    "The hospitals in the network, their status and who runs them."
    if viewer.actor.network_wide
    else "Your hospital: its status and who runs it.",
    viewer,
)
listing.show(HOSPITALS, viewer)
st.caption("Phone numbers and email addresses are in the export.")
