"""Compliance's history of an assessment type: a hospital's assessments, newest first, the latest ones in full.

A part of the Compliance page (compliance_page.py runs it); the history itself is kit/history.py.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.domains.governance import compliance, compliance_assessments
from dashboard.domains.governance.compliance import status_word
from dashboard.domains.governance.compliance_words_page import scored, state, tinted
from dashboard.kit import charts, history, pickers, say
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import LAGOS, Noun, count, humanise, lagos_date
from dashboard.shell import data

ENTRIES = Table(
    [
        Column("Description", "description"),
        Column("Severity", "severity", "code"),
        Column("Owner", "owner"),
        Column("Due", "due_date", "date"),
        Column("State", lambda e: "Not in the expected shape" if e.raw is not None else state(e.status)),
    ]
)


def _open_of(entries: list) -> str:
    return f"{sum(not e.closed for e in entries)} of {len(entries)}"


def _entries(title: str, entries: list, raw: str | None, closed_by: dict[str, str]) -> None:
    st.markdown(f"**{title}** ({count(len(entries))})")
    if raw is not None:
        st.caption("Stored in a shape the dashboard does not read; shown as it is:")
        st.text(raw)
    elif entries:
        frame = ENTRIES.frame(entries, network_wide=False)
        frame["Closed"] = [
            (f"{closed_by.get(e.closed_by or '', 'someone')}, {lagos_date(e.closed_at)}" if e.closed_at else
             closed_by.get(e.closed_by or "", "—")) if e.closed else "—" for e in entries
        ]  # fmt: skip
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={"Description": st.column_config.TextColumn(width="large")})  # fmt: skip
    else:
        st.caption("None recorded.")


def _in_full(assessment) -> None:
    if assessment.details_raw is not None:
        st.caption("Assessment details, in a shape the dashboard does not read; shown as they are:")
        st.text(assessment.details_raw)
    elif assessment.details:
        st.dataframe(pd.DataFrame({"Detail": [humanise(k) for k in assessment.details],
                                   "Value": list(assessment.details.values())}), hide_index=True,
                     width="stretch")  # fmt: skip
    _entries("Violations", assessment.violations, assessment.violations_raw, assessment.closed_by_names)
    _entries("Corrective actions", assessment.actions, assessment.actions_raw, assessment.closed_by_names)


ASSESSMENTS = history.History(
    table=Table(
        [
            Column("Assessed", "assessed_at", "date"),
            Column("Score", lambda a: scored(a.score)),
            Column("Status", lambda a: status_word(a.status)),
            Column("Next due", "next_due", "date"),
            Column("Assessor", "assessor"),
            Column("Violations open", lambda a: _open_of(a.violations)),
            Column("Actions open", lambda a: _open_of(a.actions)),
        ]
    ),
    heading=lambda a: f"{lagos_date(a.assessed_at)} · {a.score if a.score is not None else '—'}/100 · "
    f"{status_word(a.status)}",
    detail=_in_full,
    noun=Noun("assessment", "assessments"),
    style=tinted,
)


def _score_line(kind: str, past: list) -> go.Figure:
    scored_ = [a for a in past if a.score is not None]
    line = pd.DataFrame({"Assessed": [pd.Timestamp(a.assessed_at.astimezone(LAGOS).date()) for a in scored_],
                         "Score": [a.score for a in scored_]})  # fmt: skip
    fig = charts.line(line.sort_values("Assessed"), x="Assessed", y="Score", title=f"{kind}: score at each assessment",
                      x_title="Assessment date", y_title="Score (0–100)", height=300)  # fmt: skip
    fig.update_layout(yaxis={"range": [0, 100]}, xaxis={"type": "date", "tickformat": "%d %b %Y"})
    for band in compliance.score_bands():  # the bands behind the line, faintly, in the heatmap's colours
        fig.add_hrect(y0=band.lower, y1=min(100, band.upper + 1), fillcolor=charts.TONE_COLOURS[band.tone],
                      opacity=0.08, line_width=0, layer="below")  # fmt: skip
    return fig


def show(ctx: PageContext, cells: list, types: list[str]) -> None:
    st.subheader("History of an assessment type")
    just_saved = st.session_state.pop(f"{ctx.key}__history_next", None)
    if just_saved:
        saved_hospital, saved_type = just_saved
        if ctx.network_wide and saved_hospital:
            st.session_state[f"{ctx.key}_history_hospital"] = saved_hospital
        st.session_state[f"{ctx.key}_history_type"] = saved_type
    left, right = st.columns(2)
    with left:
        hospital = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_history_hospital",
                                               help="Whose assessments to show.")  # fmt: skip
    with right:
        # The types this hospital has been assessed on come first, so the history opens on something.
        assessed = {c.compliance_type for c in cells if c.hospital_id == hospital}
        ordered = [t for t in types if t in assessed] + [t for t in types if t not in assessed]
        if just_saved and just_saved[1] not in ordered:
            ordered.insert(0, just_saved[1])
        kind = st.selectbox("Show the history of", ordered, key=f"{ctx.key}_history_type")
    if not (hospital and kind):
        return
    try:
        past = data.call(compliance_assessments.history, ctx.actor, hospital_id=hospital, compliance_type=kind)
    except ServiceError as exc:
        say.error(str(exc))
        return
    if not past:
        say.info(f"No {kind} assessment is recorded for this hospital yet.")
        return
    history.show(ASSESSMENTS, past, chart=_score_line(kind, past), chart_key=f"{ctx.key}_history_chart")
