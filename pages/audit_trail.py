"""Audit trail: who did what, when, in the working scope. Reading it is itself recorded."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("audit_trail")

import pandas as pd  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.components import csv_export, page_header, page_number, page_table, pager  # noqa: E402
from dashboard.formatting import humanise, lagos_datetime  # noqa: E402
from dashboard.services import audit_trail  # noqa: E402

PAGE_KEY = "audit_page"
EXPORT_KEY = "audit_export"
AS_OF_KEY = "audit_as_of"


def _changes(old: object, new: object) -> str:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    parts = []
    for key in new:
        before = old.get(key)
        parts.append(f"{humanise(key)}: {before} → {new[key]}" if key in old else f"{humanise(key)}: {new[key]}")
    return "; ".join(parts)


page_header("Audit trail", "Every sign-in, change and sensitive read, newest first.", viewer)
filters, search_column = st.columns([1, 2])
categories = data.call(audit_trail.categories, viewer.actor)
category = filters.selectbox(
    "Kind of action", [None, *categories], format_func=lambda c: "All kinds" if c is None else humanise(c)
)
search = search_column.text_input("Search by email or action", key="audit_search", placeholder="e.g. login failed")
filters = (category, search, viewer.actor.scope_key)
# The list ends where it stood when these filters were set, so paging through it never repeats or
# skips a row as new ones arrive (reading the trail writes one); "Show newest" moves the end to now.
if st.session_state.get(AS_OF_KEY, (None, None))[0] != filters:
    st.session_state[AS_OF_KEY] = (filters, data.call(audit_trail.snapshot_time, viewer.actor))
until = st.session_state[AS_OF_KEY][1]
page = data.call(
    audit_trail.list_entries,
    viewer.actor,
    category=category,
    search=search,
    page=page_number(PAGE_KEY, filters),
    page_size=50,
    until=until,
)


def _record(entry) -> str:
    """'User ada@…', 'Hospital Kano Medical Centre': the record by name where it has one, else its id."""
    return f"{humanise(entry.resource_type)} {entry.resource_label or entry.resource_id or ''}".strip()


def _as_table(entries: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "When (Lagos)": [lagos_datetime(e.created_at) for e in entries],
            "Who": [e.user_email or ("Not signed in" if e.user_id == "anonymous" else e.user_id) for e in entries],
            "Kind": [humanise(e.action_category) for e in entries],
            "Action": [humanise(e.action_type) for e in entries],
            "Record": [_record(e) for e in entries],
            "Details": [_changes(e.old_values, e.new_values) for e in entries],
            "Impact": [humanise(e.impact_level) for e in entries],
            "Compliance": ["Yes" if e.compliance_relevant else "" for e in entries],
            "IP address": [e.ip_address or "—" for e in entries],
        }
    )


as_of_note, newest = st.columns([3, 1], vertical_alignment="center")
as_of_note.caption(f"Entries up to {lagos_datetime(until)} (Lagos time).")
if newest.button("Show newest", key="audit_newest", width="stretch"):
    st.session_state.pop(AS_OF_KEY, None)
    st.session_state[PAGE_KEY] = 1
    st.rerun()
if page.total == 0:
    if category or search.strip():
        st.info("No entries match these filters. Clear the search or pick All kinds to see more.")
    else:
        st.info("Nothing has been recorded in this scope yet.")
else:
    page_table(_as_table(page.rows))
pager(PAGE_KEY, page, "entries")


def _export() -> tuple[pd.DataFrame, bool]:
    entries, truncated = data.call(
        audit_trail.export_entries, viewer.actor, category=category, search=search, until=until
    )
    return _as_table(entries), truncated


csv_export(
    EXPORT_KEY,
    filters=(*filters, until),
    noun="entries",
    file_stem="audit-trail",
    disabled=page.total == 0,
    prepare=_export,
)
