"""Hospitals: the directory of hospitals in scope, paginated in the database, with a CSV export."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("hospitals")

import pandas as pd  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.components import csv_export, page_header, page_number, page_table, pager  # noqa: E402
from dashboard.formatting import humanise, lagos_date  # noqa: E402
from dashboard.services import hospitals  # noqa: E402

PAGE_KEY = "hospitals_page"
EXPORT_KEY = "hospitals_export"

page_header(
    "Hospitals",
    "The hospitals in the network, their status and who runs them."
    if viewer.actor.network_wide
    else "Your hospital: its status and who runs it.",
    viewer,
)
search = st.text_input("Search by name, city or state", key="hospitals_search", placeholder="e.g. Ibadan")
page = data.call(
    hospitals.list_hospitals,
    viewer.actor,
    search=search,
    page=page_number(PAGE_KEY, (search, viewer.actor.scope_key)),
    page_size=25,
)


def _as_table(rows: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Hospital": [r.name for r in rows],
            "City": [r.city or "—" for r in rows],
            "State": [r.state or "—" for r in rows],
            "Verification": [humanise(r.verification_status) for r in rows],
            "Active": ["Yes" if r.is_active else "No" for r in rows],
            "Staff accounts": [r.staff_accounts for r in rows],
            "Patients waiting": [r.patients_waiting for r in rows],
            "Phone": [r.phone or "—" for r in rows],
            "Email": [r.email or "—" for r in rows],
            "Joined": [lagos_date(r.created_at) for r in rows],
        }
    )


def _export() -> tuple[pd.DataFrame, bool]:
    rows, truncated = data.call(hospitals.export_hospitals, viewer.actor, search=search)
    return _as_table(rows), truncated


if page.total == 0:
    st.info("No hospitals match this search in your scope. Clear the search to see them all.")
else:
    page_table(_as_table(page.rows))
pager(PAGE_KEY, page, "hospitals")
csv_export(
    EXPORT_KEY,
    filters=(search, viewer.actor.scope_key),
    noun="hospitals",
    file_stem="hospitals",
    disabled=page.total == 0,
    prepare=_export,
)
