"""Hospitals: the directory of hospitals in scope, paginated in the database."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("hospitals")

import pandas as pd  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.components import page_header, page_number, pager  # noqa: E402
from dashboard.formatting import count, humanise, lagos_date  # noqa: E402
from dashboard.services import hospitals  # noqa: E402

PAGE_KEY = "hospitals_page"

page_header("Hospitals", "The hospitals in the network, their status and who runs them.", viewer)
search = st.text_input("Search by name, city or state", key="hospitals_search", placeholder="e.g. Ibadan")
page = data.call(
    hospitals.list_hospitals,
    viewer.actor,
    search=search,
    page=page_number(PAGE_KEY, (search, viewer.actor.scope_key)),
    page_size=25,
)
if page.total == 0:
    st.info("No hospitals match this search in your scope. Clear the search to see them all.")
else:
    table = pd.DataFrame(
        {
            "Hospital": [r.name for r in page.rows],
            "City": [r.city or "—" for r in page.rows],
            "State": [r.state or "—" for r in page.rows],
            "Verification": [humanise(r.verification_status) for r in page.rows],
            "Active": ["Yes" if r.is_active else "No" for r in page.rows],
            "Staff accounts": [count(r.staff_accounts) for r in page.rows],
            "Patients waiting": [count(r.patients_waiting) for r in page.rows],
            "Phone": [r.phone or "—" for r in page.rows],
            "Joined": [lagos_date(r.created_at) for r in page.rows],
        }
    )
    st.dataframe(table, hide_index=True)
pager(PAGE_KEY, page, "hospitals")
