"""Compliance's lists: the open violations and corrective actions (one in full, and closing it), and the
assessments overdue or due soon. A part of the Compliance page (compliance_page.py runs it)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard.domains.governance import compliance_assessments, compliance_commands, compliance_findings
from dashboard.domains.governance.compliance import days_text, status_word
from dashboard.domains.governance.compliance_words_page import KIND_SHORT, KIND_WORDS, legend, scored, state, tinted
from dashboard.kit import commands, filters, listing
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, humanise, lagos_date

CLOSE = Command(
    "close", compliance_commands.close_item, done="Closed: {shown}",
    question="Close “{shown}” ({type}, {hospital})? It is recorded as closed by you, now.",
    words=("shown", "type", "hospital"),
)  # fmt: skip


def _due(r) -> str:
    return (lagos_date(r.due_date) if r.due_date else "—") + (" · overdue" if r.overdue else "")


def _finding(r) -> str:
    return f"{KIND_SHORT.get(r.kind, r.kind)}, {r.severity.lower()}" if r.severity else KIND_SHORT.get(r.kind, r.kind)


# The screen keeps to the columns a reader scans, narrow enough for 1,400 px (the whole finding is in its
# detail below); the export keeps every field in its own column: a spreadsheet has room the screen has not.
FINDINGS = Table(
    [
        Column("Due", _due, screen_only=True),
        hospital_column(),
        Column("Type", "compliance_type"),
        Column("Finding", _finding, screen_only=True),
        Column("Kind", lambda r: KIND_SHORT.get(r.kind, r.kind), export_only=True),
        Column("Description", "description"),
        Column("Severity", "severity", "code", export_only=True),
        Column("Owner", "owner"),
        Column("Due", "due_date", "date", export_only=True),
        Column("Overdue", lambda r: "Overdue" if r.overdue else "", export_only=True, empty=""),
        Column("State", lambda r: state(r.status, r.well_formed)),
        Column("Age", lambda r: days_text(r.age_days), export_only=True),
    ]
)
ITEMS = listing.Listing(
    key="compliance_items",
    noun=Noun("open finding", "open findings"),
    list_service=compliance_findings.list_open_items,
    export_service=compliance_findings.export_open_items,
    table=FINDINGS,
    file_stem="compliance-open-findings",
    search_label="Search findings",
    search_placeholder="Description, owner, hospital or type",
    empty="Nothing is open: every violation and corrective action of the current assessments is closed.",
    empty_filtered="No open finding matches. Clear the search or the filter to see them all.",
)
# Widths that fit the table in the page at 1,400 px (sidebar open), Owner and Due included.
WIDTHS = {"Due": 150, "Hospital": 135, "Type": 120, "Finding": 115, "Owner": 125, "State": 90}
DUE_TABLE = Table(
    [
        hospital_column(),
        Column("Type", "compliance_type"),
        Column("Due", "next_due", "date"),
        Column("When", lambda r: f"{days_text(r.days_overdue)} overdue" if r.days_overdue >= 1 else
               ("due today" if r.days_overdue > -1 else f"in {days_text(-r.days_overdue)}")),
        Column("Score", lambda r: scored(r.score)),
        Column("Status", lambda r: status_word(r.status)),
        Column("Last assessed", "assessed_at", "date"),
    ]
)  # fmt: skip


def _recorded(age_days: float) -> str:
    return "today" if round(age_days) == 0 else f"{days_text(age_days)} ago"


def _label(r, network_wide: bool) -> str:
    where = f" · {r.hospital_name}" if network_wide else ""
    return f"{'Overdue · ' if r.overdue else ''}{KIND_WORDS[r.kind]}: {r.description[:90]} · {r.compliance_type}{where}"


def _finding_in_full(ctx: PageContext, rows: list) -> None:
    """One finding: the whole description and every field, which the table cuts short; and closing it."""
    with st.container(border=True):
        st.markdown("**A finding in full**" + (" (and closing it)" if ctx.can_write else ""))
        by_key = {f"{r.assessment_id}:{r.kind}:{r.position}": r for r in rows}
        chosen = by_key[st.selectbox("Finding", list(by_key), format_func=lambda k: _label(by_key[k], ctx.network_wide),
                                     key=f"{ctx.key}_close_choice")]  # fmt: skip
        st.text(chosen.description)
        st.dataframe(
            pd.DataFrame({"Field": ["Hospital", "Type", "Kind", "Severity", "Owner", "Due", "State", "Recorded"],
                          "Value": [chosen.hospital_name, chosen.compliance_type, KIND_WORDS[chosen.kind],
                                    humanise(chosen.severity) if chosen.severity else "—", chosen.owner or "—",
                                    _due(chosen), state(chosen.status, chosen.well_formed),
                                    _recorded(chosen.age_days)]}),
            hide_index=True, width=520,
        )  # fmt: skip
        if not ctx.can_write:
            return
        if not chosen.well_formed:
            st.caption("This finding is not in the expected shape, so it cannot be closed here; record a new "
                       "assessment that replaces it.")  # fmt: skip
        elif st.button("Close this finding…", key=f"{ctx.key}_close"):
            commands.ask_first(ctx, CLOSE, chosen.assessment_id, affects=chosen.hospital_id, kind=chosen.kind,
                               position=chosen.position, description=chosen.description,
                               shown=chosen.description[:200], type=chosen.compliance_type,
                               hospital=chosen.hospital_name)  # fmt: skip


def show_findings(ctx: PageContext) -> None:
    st.subheader("Violations and corrective actions still open")
    st.caption("From each hospital's current assessment of each type; overdue ones first, then those due soonest.")
    kind = st.segmented_control(
        "Show", [None, "violation", "action"], default=None, key=f"{ctx.key}_items_kind",
        format_func=lambda k: "Both" if k is None else KIND_WORDS[k] + "s",
    )  # fmt: skip
    widths = {**WIDTHS, "Description": 170 if ctx.network_wide else 300}  # no Hospital column: room for more
    config = {label: st.column_config.TextColumn(width=width) for label, width in widths.items()}
    items = dataclasses.replace(ITEMS, column_config=config)
    page = listing.show(items, ctx.viewer, filters={"kind": kind, "today": filters.today()})
    if page.rows:
        _finding_in_full(ctx, page.rows)
    if ctx.can_write:
        commands.confirming(ctx, CLOSE)


def show_due(ctx: PageContext) -> None:
    st.subheader("Assessments overdue or due in the next 30 days")
    network_wide = ctx.network_wide
    due = listing.Listing(
        key="compliance_due",
        noun=Noun("assessment", "assessments"),
        list_service=compliance_assessments.list_due,
        export_service=compliance_assessments.export_due,
        to_frame=lambda rows: tinted(DUE_TABLE.frame(rows, network_wide=network_wide)),
        export_frame=DUE_TABLE.export(network_wide),
        file_stem="compliance-due",
        search_label="Search by hospital or type",
        empty="No assessment is overdue or due in the next 30 days.",
        empty_filtered="None matches this search. Clear it to see them all.",
        page_size=10,
    )
    st.caption(f"Score bands: {legend()}.")
    listing.show(due, ctx.viewer)
