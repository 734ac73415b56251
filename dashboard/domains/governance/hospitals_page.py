"""Hospitals: the directory of hospitals in scope, paginated in the database, with an audited export."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.governance import hospitals, hospitals_location_page
from dashboard.domains.governance.compliance_words_page import legend, scored
from dashboard.kit import listing
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import Noun

# The columns a reader needs fit 1400 px; phone and email go to the export, where nothing is cut.
COLUMNS = Table(
    [
        Column("Hospital", "name"),
        Column("City", "city"),
        Column("State", "state"),
        Column("LGA", "lga"),
        Column("Verification", "verification_status", "code"),
        Column("Active", "is_active", "yes_no"),
        Column("Staff accounts", "staff_accounts", "count"),
        Column("Patients waiting", "patients_waiting", "count"),
        Column("Compliance", lambda r: scored(None if r.compliance_score is None else round(r.compliance_score))),
        Column("Phone", "phone", export_only=True),
        Column("Email", "email", export_only=True),
        Column("Joined", "created_at", "date"),
    ]
)


HOSPITALS = listing.Listing(
    key="hospitals",
    noun=Noun("hospital", "hospitals"),
    list_service=hospitals.list_hospitals,
    export_service=hospitals.export_hospitals,
    table=COLUMNS,
    file_stem="hospitals",
    search_label="Search by name, city or state",
    search_placeholder="e.g. Ibadan",
    empty="There are no hospitals in your scope yet.",
    empty_filtered="No hospitals match this search in your scope. Clear the search to see them all.",
)


def render(ctx: PageContext) -> None:
    ctx.header(
        "The hospitals in the network, their status and who runs them."
        if ctx.network_wide
        else "Your hospital: its status and who runs it."
    )
    ctx.done()
    listing.show(HOSPITALS, ctx.viewer)
    st.caption(f"Compliance: its latest assessments' average score ({legend()}). Phone and email are in the export.")
    if ctx.can_write:
        hospitals_location_page.show(ctx)
