"""Compliance's form: record an assessment, its violations and corrective actions in two editors.

A part of the Compliance page (compliance_page.py runs it), for compliance officers and network administrators.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.domains.governance import compliance, compliance_assessments, compliance_commands
from dashboard.domains.governance.compliance_words_page import STATES, legend
from dashboard.kit import commands, filters, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import lagos_date
from dashboard.shell import data
from db.vocab import SEVERITIES

RECORD = Command("record", compliance_commands.record_assessment, done="{type_name} assessment saved ({saved}).",
                 words=("type_name", "saved"))  # fmt: skip
ANOTHER_TYPE = "Another type…"
SEVERITY_LABELS = {s.capitalize(): s for s in SEVERITIES}  # as shown in the form -> as stored
STATE_LABELS = {k.capitalize(): v for k, v in STATES.items()}  # as shown in the form -> as stored
STATE_LABEL_OF = {v: k for k, v in STATE_LABELS.items()}
# New rows start blank (an empty text, not "None") with Medium and Open chosen; the choices are shown
# capitalised and mapped back to the stored words in _rows_of.
EDITOR_COLUMNS = {
    "Description": st.column_config.TextColumn("Description", width="large", required=True, max_chars=500,
                                               default=""),
    "Severity": st.column_config.SelectboxColumn("Severity", options=list(SEVERITY_LABELS), default="Medium",
                                                 required=True),
    "Owner": st.column_config.TextColumn("Owner", max_chars=200, default=""),
    "Due date": st.column_config.DateColumn("Due date", format="D MMM YYYY"),
    "State": st.column_config.SelectboxColumn("State", options=list(STATE_LABELS), default="Open", required=True),
}  # fmt: skip


def _editor_frame(entries: list) -> pd.DataFrame:
    """The open entries of the previous assessment, carried forward so they are not lost."""
    carried = [e for e in entries if e.raw is None and not e.closed]
    return pd.DataFrame(
        {
            "Description": pd.Series([e.description for e in carried], dtype="object"),
            "Severity": pd.Series([(e.severity if e.severity in SEVERITIES else "medium").capitalize()
                                   for e in carried], dtype="object"),
            "Owner": pd.Series([e.owner or "" for e in carried], dtype="object"),
            "Due date": pd.Series([e.due_date for e in carried], dtype="object"),
            "State": pd.Series([STATE_LABEL_OF.get(e.status, "Open") for e in carried], dtype="object"),
        }
    )  # fmt: skip


def _saved_status(score: str, status: str | None) -> str:
    """'72/100, partially compliant' for the saved message (the service has checked the score by then)."""
    try:
        band = compliance.band_of(compliance_commands.checked_score(score))
    except ServiceError:
        band = None
    word = compliance.STATUS_WORDS["under_review"] if status == "under_review" else (band.word if band else "")
    return f"{str(score).strip()}/100, {word.lower()}"


def _blank(value) -> bool:
    return (
        value is None
        or (not isinstance(value, str | date) and pd.isna(value))
        or (isinstance(value, str) and not value.strip())
    )


def _rows_of(frame: pd.DataFrame) -> list[dict]:
    """The editor's rows as entries; a row left wholly empty is not one."""
    rows = []
    for record in frame.to_dict("records"):
        description, owner, due = record.get("Description"), record.get("Owner"), record.get("Due date")
        if _blank(description) and _blank(owner) and _blank(due):
            continue
        if isinstance(due, pd.Timestamp | datetime):
            due = None if pd.isna(due) else due.date()
        severity, state = record.get("Severity"), record.get("State")
        rows.append(
            {
                "description": None if _blank(description) else str(description),
                "severity": None if _blank(severity) else SEVERITY_LABELS.get(severity, severity),
                "owner": None if _blank(owner) else str(owner),
                "due_date": None if _blank(due) else due,
                "status": STATE_LABELS.get(state) or STATES.get(state or "open", state),
            }
        )
    return rows


def _previous(ctx: PageContext, hospital_id: str | None, kind: str | None):
    """The current assessment of this hospital and type, whose open findings the form carries forward."""
    if not (hospital_id and kind and kind != ANOTHER_TYPE):
        return None
    try:
        earlier = data.call(compliance_assessments.history, ctx.actor, hospital_id=hospital_id, compliance_type=kind)
    except ServiceError as exc:
        say.error(str(exc))
        return None
    return earlier[0] if earlier else None


def _editor(ctx: PageContext, part: str, suffix: str, entries: list) -> pd.DataFrame:
    return st.data_editor(_editor_frame(entries), num_rows="dynamic", hide_index=True, column_config=EDITOR_COLUMNS,
                          width="stretch", placeholder="", key=f"{commands.form_key(ctx, part)}_{suffix}")  # fmt: skip


def show(ctx: PageContext, types: list[str]) -> None:
    with panel(ctx, "Record an assessment", "form"):
        st.caption("A new assessment keeps the earlier ones as its history. Open findings of the current "
                   "assessment of this type are carried into the lists below; close or edit them there.")  # fmt: skip
        top_left, top_right = st.columns(2)
        with top_left:
            hospital_id = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_form_hospital",
                                                      help="The hospital assessed.")  # fmt: skip
        with top_right:
            picked_type = st.selectbox("Compliance type", [*types, ANOTHER_TYPE], key=f"{ctx.key}_form_type")
        kind = picked_type
        if picked_type == ANOTHER_TYPE:
            kind = st.text_input("Name of the compliance type", max_chars=compliance.MAX_TYPE_LENGTH,
                                 key=f"{ctx.key}_form_type_other")  # fmt: skip
        previous = _previous(ctx, hospital_id, kind)
        if previous is not None:
            shown_score = previous.score if previous.score is not None else "—"
            st.caption(f"Current assessment: {lagos_date(previous.assessed_at)}, score {shown_score}, "
                       f"{compliance.status_word(previous.status)}.")  # fmt: skip
        today = filters.today()
        suffix = f"{hospital_id}_{kind}"
        with st.form(commands.form_key(ctx, "form"), border=False):
            first, second, third, fourth = st.columns(4)
            # A text box, not a bounded number box: a bounded box turns red on 101 and the form sends
            # nothing, silently; the service checks the score and says what is wrong in a sentence.
            score = first.text_input("Score (0–100)", max_chars=12,
                                     value=str(previous.score if previous and previous.score is not None else 80),
                                     key=f"{commands.form_key(ctx, 'form_score')}_{suffix}")  # fmt: skip
            # The status follows the score (the service derives it); only "under review" may stand apart.
            status = second.selectbox("Status", ["follows", "under_review"],
                                      key=f"{commands.form_key(ctx, 'form_status')}_{suffix}",
                                      format_func={"follows": "Follows the score", "under_review": "Under review"}.get,
                                      help=f"From the score: {compliance.bands_legend()}. Choose Under review "
                                      "while the assessment is not settled.")  # fmt: skip
            assessed_on = third.date_input("Assessment date", value=today, max_value=today, format="DD/MM/YYYY",
                                           key=f"{commands.form_key(ctx, 'form_assessed')}_{suffix}")  # fmt: skip
            next_due = fourth.date_input("Next assessment due", value=today + timedelta(days=180),
                                         min_value=date(2000, 1, 1), format="DD/MM/YYYY",
                                         key=f"{commands.form_key(ctx, 'form_due')}_{suffix}")  # fmt: skip
            details = st.text_area("Assessment details", max_chars=compliance.MAX_DETAILS_LENGTH, height=90,
                                   placeholder="What was inspected, how, and what stood out.",
                                   key=f"{commands.form_key(ctx, 'form_details')}_{suffix}")  # fmt: skip
            st.caption(f"Status from the score: {legend()}.")
            st.markdown("**Violations found**")
            st.caption("Each violation, and each corrective action still open, needs an owner and a due date: the "
                       "list of open findings shows the overdue ones first.")  # fmt: skip
            violations = _editor(ctx, "form_violations", suffix, previous.violations if previous else [])
            st.markdown("**Corrective actions**")
            actions = _editor(ctx, "form_actions", suffix, previous.actions if previous else [])
            st.caption("Add a row with the + at the top right of each table; a row left empty is ignored.")
            submitted = st.form_submit_button("Save assessment", type="primary")
        if not submitted:
            return
        # Once saved, the history opens on this hospital and type (read before its widgets, on the next run).
        st.session_state[f"{ctx.key}__history_next"] = (hospital_id, kind)
        if not commands.run(
            ctx, RECORD, hospital_id=hospital_id, compliance_type=kind, status=None if status == "follows" else status,
            score=score, assessed_on=assessed_on, next_due=next_due, details=details,
            violations=_rows_of(violations), corrective_actions=_rows_of(actions), affects=hospital_id,
            type_name=kind, saved=_saved_status(score, status),
        ):  # fmt: skip
            st.session_state.pop(f"{ctx.key}__history_next", None)
