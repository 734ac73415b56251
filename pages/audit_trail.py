"""Audit trail: who did what, when, in the working scope. Reading it is itself recorded."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("audit_trail")

from datetime import datetime  # noqa: E402

import pandas as pd  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.components import listing  # noqa: E402
from dashboard.components.header import page_header  # noqa: E402
from dashboard.formatting import Noun, humanise, lagos_datetime  # noqa: E402
from dashboard.services import audit_trail  # noqa: E402

AS_OF_KEY = "audit_as_of"


def _value(value: object) -> str:
    """A recorded value as a reader reads it: moments in Lagos time, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return lagos_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _changes(old: object, new: object) -> str:
    """'Available quantity: 12 → 9'; unchanged fields and raw ids (never shown) are left out."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    parts = []
    for key, after in new.items():
        if key == "id" or key.endswith("_id"):
            continue
        if key not in old:
            parts.append(f"{humanise(key)}: {_value(after)}")
        elif old[key] != after:
            parts.append(f"{humanise(key)}: {_value(old[key])} → {_value(after)}")
    return "; ".join(parts)


def _record(entry) -> str:
    """The record by name ('Hospital resource Ventilators'), never by raw id."""
    kind = humanise(entry.resource_type) if entry.resource_type else ""
    if entry.resource_label:
        return f"{kind} {entry.resource_label}"
    if entry.resource_hidden:
        return f"{kind} outside your scope"
    values = entry.new_values if isinstance(entry.new_values, dict) else {}
    named = values.get("report") or values.get("name")
    if named:
        return f"{kind}: {humanise(str(named))}"
    return "—"


def _who(entry) -> str:
    if entry.user_email:
        return entry.user_email
    return "Not signed in" if entry.user_id == "anonymous" else "Network staff (outside your scope)"


def _as_table(entries: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "When (Lagos)": [lagos_datetime(e.created_at) for e in entries],
            "Who": [_who(e) for e in entries],
            "Action": [humanise(e.action_type) for e in entries],
            "Record": [_record(e) for e in entries],
            "Details": [_changes(e.old_values, e.new_values) for e in entries],
            "Impact": [humanise(e.impact_level) for e in entries],
        }
    )


def _as_export(entries: list) -> pd.DataFrame:
    frame = _as_table(entries)
    frame.insert(2, "Kind", [humanise(e.action_category) for e in entries])
    frame["Compliance"] = ["Yes" if e.compliance_relevant else "" for e in entries]
    frame["IP address"] = [e.ip_address or "—" for e in entries]
    return frame


ENTRIES = listing.Listing(
    key="audit",
    noun=Noun("entry", "entries"),
    list_service=audit_trail.list_entries,
    export_service=audit_trail.export_entries,
    to_frame=_as_table,
    export_frame=_as_export,
    file_stem="audit-trail",
    page_size=50,
    empty="Nothing has been recorded in this scope yet.",
    empty_filtered="No entries match these filters. Clear the search or pick All kinds to see more.",
    column_config={"Details": st.column_config.TextColumn(width="large")},
)

page_header("Audit trail", "Every sign-in, change and sensitive read, newest first.", viewer)
kinds, search_column = st.columns([1, 2])
categories = data.call(audit_trail.categories, viewer.actor)
category = kinds.selectbox(
    "Kind of action", [None, *categories], format_func=lambda c: "All kinds" if c is None else humanise(c)
)
search = search_column.text_input(
    "Search by email or action", key=f"audit_search_{viewer.actor.scope_key}", placeholder="e.g. login failed"
)
# The list ends where it stood when these filters were set, so paging through it never repeats or
# skips a row as new ones arrive (reading the trail writes one); "Show newest" moves the end to now.
question = (category, search, viewer.actor.scope_key)
if st.session_state.get(AS_OF_KEY, (None, None))[0] != question:
    st.session_state[AS_OF_KEY] = (question, data.call(audit_trail.snapshot_time, viewer.actor))
until = st.session_state[AS_OF_KEY][1]
as_of_note, newest = st.columns([3, 1], vertical_alignment="center")
as_of_note.caption(f"Entries up to {lagos_datetime(until)} (Lagos time). IP addresses and kinds are in the export.")
if newest.button("Show newest", key="audit_newest", width="stretch"):
    st.session_state.pop(AS_OF_KEY, None)
    st.rerun()
listing.show(ENTRIES, viewer, filters={"category": category, "until": until}, search=search)
