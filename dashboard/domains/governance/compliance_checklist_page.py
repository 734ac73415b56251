"""Compliance's checklist: a hospital's current assessment of a type item by item, its score, its evidence files
(downloaded through the session-bound download button), and, for writers, answering an item and attaching evidence.

A part of the Compliance page (compliance_page.py runs it). Text from the database reaches the screen in tables
(plain text) or st.text; an evidence file is read only when asked for ("Get the file").
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.governance import compliance, compliance_checklist_forms_page, compliance_checklists
from dashboard.domains.governance.compliance_words_page import legend, scored
from dashboard.kit import charts, kpi, pickers, say
from dashboard.kit.page import PageContext
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import lagos_date, lagos_datetime
from dashboard.shell import data
from dashboard.shell.gate import live_fragment

ANSWER_MARKS = {"met": "\u2713", "not_met": "\u2717", "not_applicable": "\u2013", None: "?"}  # ✓ ✗ – ?


def banded(score: int | None) -> str:
    """'✓ 92 / 100': the score with its band's mark (the band's word goes beside it: never colour alone)."""
    return "No score" if score is None else f"{scored(score)} / 100"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


def _frame(sheet: compliance_checklists.Checklist) -> pd.DataFrame:
    return pd.DataFrame({
        "Item": [f"{r.code} · {r.text}" for r in sheet.rows],
        "Weight": [f"{r.weight}, required" if r.required else str(r.weight) for r in sheet.rows],
        "Answer": [f"{ANSWER_MARKS[r.answer]} {r.answer_word}" for r in sheet.rows],
        "Note": [r.note or "" for r in sheet.rows],
        "Evidence": [", ".join(f.file_name for f in r.evidence) or "—" for r in sheet.rows],
        "Answered": [f"{r.answered_by or 'someone'}, {lagos_date(r.answered_at)}" if r.answered_at else "—"
                     for r in sheet.rows],
    })  # fmt: skip


# Widths that fit the table in the page at 1,400 px with the sidebar open (the download picker names each file).
WIDTHS = {"Item": 300, "Weight": 85, "Answer": 115, "Note": 170, "Evidence": 140, "Answered": 120}


def _score(ctx: PageContext, sheet: compliance_checklists.Checklist) -> None:
    result = sheet.result
    band = compliance.band_of(result.score)
    note = f"{band.word} ({band.range_text})" if band else "every item not applicable"
    if result.capped:
        note = f"{note}; capped from {result.uncapped}: required item not met ({', '.join(result.required_failing)})"
    elif result.required_failing and band is not None:
        note = f"{note}; required not met: {', '.join(result.required_failing)}"
    answered = f"{sheet.answered} of {len(sheet.rows)} items answered"
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("checklist_score", banded(result.score), status_note=note,
                        status=None if band is None else (kpi.Status.NORMAL if band.tone == "good"
                                                          else kpi.Status.ATTENTION),
                        help_extra=f"{answered}: {result.met} met, {result.not_met} not met, "
                        f"{result.not_applicable} not applicable, {result.unanswered} not answered yet."),
    ], per_row=3)  # fmt: skip
    st.caption(f"{answered}. Score bands: {legend()}. Assessed {lagos_date(sheet.assessed_at)}.")
    if sheet.answered == 0 and sheet.stored_score is not None:
        st.caption(f"No item is answered yet: the assessment's score ({sheet.stored_score}) is the one its assessor "
                   "typed; the first answer replaces it with the checklist's.")  # fmt: skip


def _download(ctx: PageContext, sheet: compliance_checklists.Checklist) -> None:
    files = {f.id: (r, f) for r in sheet.rows for f in r.evidence}
    if not files:
        st.caption("No evidence is attached to this assessment yet.")
        return
    left, right = st.columns([3, 2])
    picked = left.selectbox("Evidence to download", list(files), key=f"{ctx.key}_evidence_choice",
                            format_func=lambda i: f"{files[i][0].code} · {files[i][1].file_name} "
                            f"({_size(files[i][1].size_bytes)}, {lagos_date(files[i][1].uploaded_at)})")  # fmt: skip
    key = f"{ctx.key}_evidence_{ctx.actor.scope_key}"
    with right:
        st.write("")  # level with the picker
        if st.button("Get the file", key=f"{ctx.key}_get_evidence", icon=":material/description:"):
            try:
                stored = data.call(compliance_checklists.evidence_file, ctx.actor, picked)
            except ServiceError as exc:
                say.error(str(exc))
                return
            st.session_state[key] = (picked, stored)
        kept = st.session_state.get(key)
        if kept and kept[0] == picked:
            stored = kept[1]
            st.download_button(f"Download {stored.file_name}", stored.content, file_name=stored.file_name,
                               mime=stored.content_type, icon=":material/download:",
                               key=f"{ctx.key}_evidence_download",
                               help=f"Uploaded {lagos_datetime(stored.uploaded_at)}.")  # fmt: skip


def show(ctx: PageContext, types: list[str], cells: list) -> None:
    with st.container(key=f"{ctx.key}_checklist"):
        _show(ctx, types, cells)


# A fragment: picking a hospital, a type, an item or a file reruns this part alone, not the whole page's charts;
# a write reruns the page (commands.run), so every score on it follows.
@live_fragment()
def _show(ctx: PageContext, types: list[str], cells: list) -> None:
    st.subheader("Checklist and evidence")
    st.caption("Each type's standard checklist, answered item by item on a hospital's current assessment; the "
               "answers make its score, shown everywhere scores are.")  # fmt: skip
    left, right = st.columns(2)
    with left:
        hospital = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_checklist_hospital",
                                               help="Whose current assessment to open.")  # fmt: skip
    with right:
        # The types this hospital has been assessed on come first (cells: the current scores), so it opens on one.
        assessed = {c.compliance_type for c in cells if c.hospital_id == hospital}
        standard = [t for t in types if t in compliance.KNOWN_TYPES]
        ordered = [t for t in standard if t in assessed] + [t for t in standard if t not in assessed]
        kind = st.selectbox("Checklist of", ordered, key=f"{ctx.key}_checklist_type")
    if not (hospital and kind):
        return
    try:
        assessment = data.call(compliance_checklists.current_assessment_id, ctx.actor, hospital_id=hospital,
                               compliance_type=kind)  # fmt: skip
        sheet = data.call(compliance_checklists.checklist, ctx.actor, assessment) if assessment else None
    except ServiceError as exc:
        say.error(str(exc))
        return
    if sheet is None:
        say.info(f"No {kind} assessment is recorded for this hospital yet. Record one under “Record an assessment” "
                 "below, then answer its checklist here.")  # fmt: skip
        return
    _score(ctx, sheet)
    frame = _frame(sheet)
    st.dataframe(frame.style.map(lambda v: f"background-color: {charts.TONE_TINTS['poor']}"
                                 if isinstance(v, str) and v.startswith(ANSWER_MARKS["not_met"]) else "",
                                 subset=["Answer"]),
                 hide_index=True, width="stretch",
                 column_config={label: st.column_config.TextColumn(width=width)
                                for label, width in WIDTHS.items()})  # fmt: skip
    _download(ctx, sheet)
    if ctx.can_write:
        compliance_checklist_forms_page.show(ctx, sheet)
