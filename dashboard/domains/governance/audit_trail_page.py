"""Audit trail: who did what, when, in the working scope. Reading it is itself recorded."""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("audit_trail")

import dataclasses  # noqa: E402
from datetime import datetime  # noqa: E402

import pandas as pd  # noqa: E402

from dashboard.domains.governance import audit_trail  # noqa: E402
from dashboard.kit import listing  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform.formatting import Noun, humanise, lagos_datetime  # noqa: E402
from dashboard.shell import data  # noqa: E402

AS_OF_KEY = "audit_as_of"
DETAILS_SHOWN = 90  # characters of the changes in the table; the whole of them is in the entry's detail below


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


def _changed_fields(old: object, new: object) -> list[tuple[str, str, str]]:
    """(field, before, after) of each field that changed; unchanged fields and raw ids (never shown) left out."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    fields = []
    for key, after in new.items():
        if key == "id" or key.endswith("_id"):
            continue
        if key not in old:
            fields.append((humanise(key), "", _value(after)))
        elif old[key] != after:
            fields.append((humanise(key), _value(old[key]), _value(after)))
    return fields


def _changes(old: object, new: object) -> str:
    """'Available quantity: 12 → 9'; unchanged fields and raw ids (never shown) are left out."""
    fields = _changed_fields(old, new)
    return "; ".join(f"{name}: {before} → {after}" if before else f"{name}: {after}" for name, before, after in fields)


def _short(text: str) -> str:
    return text if len(text) <= DETAILS_SHOWN else text[: DETAILS_SHOWN - 1].rstrip() + "…"


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


def _as_table(entries: list, *, whole: bool = False) -> pd.DataFrame:
    """The screen's columns; Details cut short (the whole of them in the entry's detail, and in the export)."""
    frame = pd.DataFrame(
        {
            "When (Lagos)": [lagos_datetime(e.created_at) for e in entries],
            "Who": [_who(e) for e in entries],
            "Action": [humanise(e.action_type) for e in entries],
            "Record": [_record(e) for e in entries],
            "Details": [_changes(e.old_values, e.new_values) for e in entries],
            "Impact": [humanise(e.impact_level) for e in entries],
        }
    )
    if not whole:
        frame["Details"] = frame["Details"].map(_short)
    return frame


def _as_export(entries: list) -> pd.DataFrame:
    frame = _as_table(entries, whole=True)
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

page_header("Audit trail", "Every sign-in, change and sensitive read, newest first.", viewer)
kinds, search_column, views_column = st.columns([3, 5, 2], vertical_alignment="bottom")
categories = data.call(audit_trail.categories, viewer.actor)
category = kinds.selectbox(
    "Kind of action", [None, *categories], format_func=lambda c: "All kinds" if c is None else humanise(c)
)
search = search_column.text_input(
    "Search by email or action", key=f"audit_search_{viewer.actor.scope_key}", placeholder="e.g. login failed"
)
include_views = views_column.toggle(
    "Include views", value=False, key="audit_include_views",
    help="Rows that only record someone opening a list (e.g. Patient list viewed) are left out unless this is on; "
    "the export follows the same choice.",
)  # fmt: skip
# The list ends where it stood when these filters were set, so paging through it never repeats or
# skips a row as new ones arrive (reading the trail writes one); "Show newest" moves the end to now.
question = (category, search, include_views, viewer.actor.scope_key)
if st.session_state.get(AS_OF_KEY, (None, None))[0] != question:
    st.session_state[AS_OF_KEY] = (question, data.call(audit_trail.snapshot_time, viewer.actor))
until = st.session_state[AS_OF_KEY][1]
as_of_note, newest = st.columns([3, 1], vertical_alignment="center")
views_note = "" if include_views else " Views (someone opening a list) are hidden: turn on Include views to list them."
as_of_note.caption(
    f"Entries up to {lagos_datetime(until)} (Lagos time).{views_note} IP addresses and kinds are in the export."
)
if newest.button("Show newest", key="audit_newest", width="stretch"):
    st.session_state.pop(AS_OF_KEY, None)
    st.rerun()
# The count under the table says so too: "1–50 of 3,120 entries, views hidden".
shown = ENTRIES if include_views else dataclasses.replace(
    ENTRIES, noun=Noun("entry, views hidden", "entries, views hidden")
)  # fmt: skip
trail = listing.show(shown, viewer, filters={"category": category, "until": until, "include_views": include_views},
                     search=search)  # fmt: skip

if trail.rows:
    # One entry in full: every changed field, before and after, which the table's Details cut short.
    with st.container(border=True):
        st.markdown("**An entry in full**")
        by_id = {e.id: e for e in trail.rows}
        picked = by_id[st.selectbox(
            "Entry", list(by_id), key="audit_entry_choice",
            format_func=lambda i: f"{lagos_datetime(by_id[i].created_at)} · {humanise(by_id[i].action_type)} · "
                                  f"{_who(by_id[i])}",
        )]  # fmt: skip
        facts = {
            "When (Lagos)": lagos_datetime(picked.created_at),
            "Who": _who(picked),
            "Kind": humanise(picked.action_category),
            "Action": humanise(picked.action_type),
            "Record": _record(picked),
            "Impact": humanise(picked.impact_level),
            "Compliance relevant": "Yes" if picked.compliance_relevant else "No",
            "IP address": picked.ip_address or "—",
        }
        st.dataframe(pd.DataFrame({"Field": list(facts), "Value": list(facts.values())}), hide_index=True,
                     width=640)  # fmt: skip
        changed = _changed_fields(picked.old_values, picked.new_values)
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
