"""Audit trail: who did what, when, in the working scope and the sidebar's date range. Reading it is recorded."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard.domains.governance import audit_trail
from dashboard.kit import listing
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.dates import lagos_midnight
from dashboard.platform.formatting import Noun, humanise, lagos_date, lagos_datetime
from dashboard.shell import data

AS_OF_KEY = "audit_as_of"
VIEWS_HIDDEN = " Views (someone opening a list) are hidden: turn on Include views to list them."
DETAILS_SHOWN = 90  # characters of the changes in the table; the whole of them is in the entry's detail below


def _short(text: str) -> str:
    return text if len(text) <= DETAILS_SHOWN else text[: DETAILS_SHOWN - 1].rstrip() + "…"


# The screen cuts Details short (the whole of them in the entry's detail, and in the export).
COLUMNS = Table(
    [
        Column("When (Lagos)", "created_at", "datetime"),
        Column("Who", "who"),
        Column("Kind", "action_category", "code", export_only=True),
        Column("Action", "action_type", "code"),
        Column("Record", "record"),
        Column("Details", lambda e: _short(e.changes), screen_only=True, empty=""),
        Column("Details", "changes", export_only=True, empty=""),
        Column("Impact", "impact_level", "code"),
        Column("Compliance", lambda e: "Yes" if e.compliance_relevant else "", export_only=True, empty=""),
        Column("IP address", "ip_address", export_only=True),
    ]
)

ENTRIES = listing.Listing(
    key="audit",
    noun=Noun("entry", "entries"),
    list_service=audit_trail.list_entries,
    export_service=audit_trail.export_entries,
    table=COLUMNS,
    file_stem="audit-trail",
    page_size=50,
    empty="Nothing has been recorded in this scope yet.",
    empty_filtered="No entries match these filters. Clear the search, pick All kinds or widen the date range in "
    "the sidebar to see more.",
    # Widths that fit the table at 1,400 px (sidebar open); the whole entry is in its detail below.
    column_config={
        "When (Lagos)": st.column_config.TextColumn(width=130),
        "Who": st.column_config.TextColumn(width=175),
        "Action": st.column_config.TextColumn(width=150),
        "Record": st.column_config.TextColumn(width=150),
        "Details": st.column_config.TextColumn(width=225),
        "Impact": st.column_config.TextColumn(width=70),
    },
)
# The count under the table says so too: "1–50 of 3,120 entries, views hidden".
ENTRIES_VIEWS_HIDDEN = dataclasses.replace(ENTRIES, noun=Noun("entry, views hidden", "entries, views hidden"))


def _entry_in_full(entries: list) -> None:
    """One entry in full: every changed field, before and after, which the table's Details cut short."""
    with st.container(border=True):
        st.markdown("**An entry in full**")
        by_id = {e.id: e for e in entries}
        picked = by_id[st.selectbox(
            "Entry", list(by_id), key="audit_entry_choice",
            format_func=lambda i: f"{lagos_datetime(by_id[i].created_at)} · {humanise(by_id[i].action_type)} · "
                                  f"{by_id[i].who}",
        )]  # fmt: skip
        facts = {
            "When (Lagos)": lagos_datetime(picked.created_at),
            "Who": picked.who,
            "Kind": humanise(picked.action_category),
            "Action": humanise(picked.action_type),
            "Record": picked.record,
            "Impact": humanise(picked.impact_level),
            "Compliance relevant": "Yes" if picked.compliance_relevant else "No",
            "IP address": picked.ip_address or "—",
        }
        st.dataframe(pd.DataFrame({"Field": list(facts), "Value": list(facts.values())}), hide_index=True,
                     width=640)  # fmt: skip
        changed = picked.changed_fields
        if changed:
            st.dataframe(
                pd.DataFrame({"Field": [c[0] for c in changed], "Before": [c[1] or "—" for c in changed],
                              "After": [c[2] for c in changed]}),
                hide_index=True, width="stretch",
                column_config={"Before": st.column_config.TextColumn(width="large"),
                               "After": st.column_config.TextColumn(width="large")},
            )  # fmt: skip
        else:
            st.caption("No field values were recorded with this entry.")


def render(ctx: PageContext) -> None:
    ctx.header("Every sign-in, change and sensitive read, newest first.")
    period = ctx.period
    kinds, search_column, views_column = st.columns([3, 5, 2], vertical_alignment="bottom")
    categories = data.call(audit_trail.categories, ctx.actor)
    category = kinds.selectbox(
        "Kind of action", [None, *categories], format_func=lambda c: "All kinds" if c is None else humanise(c)
    )
    search = search_column.text_input(
        "Search by email or action", key=f"audit_search_{ctx.actor.scope_key}", placeholder="e.g. login failed"
    )
    include_views = views_column.toggle(
        "Include views", value=False, key="audit_include_views",
        help="Rows that only record someone opening a list (e.g. Patient list viewed) are left out unless this is "
        "on; the export follows the same choice.",
    )  # fmt: skip
    # The list ends where it stood when these filters were set, so paging through it never repeats or
    # skips a row as new ones arrive (reading the trail writes one); "Show newest" moves the end to now.
    question = (category, search, include_views, ctx.actor.scope_key, period)
    if st.session_state.get(AS_OF_KEY, (None, None))[0] != question:
        st.session_state[AS_OF_KEY] = (question, data.call(audit_trail.snapshot_time, ctx.actor))
    until = st.session_state[AS_OF_KEY][1]
    as_of_note, newest = st.columns([3, 1], vertical_alignment="center")
    views_note = "" if include_views else VIEWS_HIDDEN
    ends = (f"up to {lagos_datetime(until)}" if until < lagos_midnight(period.end + timedelta(days=1))
            else f"to {lagos_date(period.end)}")  # fmt: skip
    as_of_note.caption(
        f"Entries from {lagos_date(period.start)} {ends} (Lagos time), the date range in the sidebar.{views_note} "
        "IP addresses and kinds are in the export."
    )
    if newest.button("Show newest", key="audit_newest", width="stretch"):
        st.session_state.pop(AS_OF_KEY, None)
        st.rerun()
    shown = ENTRIES if include_views else ENTRIES_VIEWS_HIDDEN
    asked = {"category": category, "until": until, "include_views": include_views, "start": period.start,
             "end": period.end}  # fmt: skip
    trail = listing.show(shown, ctx.viewer, filters=asked, search=search)
    if trail.rows:
        _entry_in_full(trail.rows)
