"""Compliance checklist's forms: answer an item of the current assessment, and attach evidence to one.

A part of the Compliance page's checklist (compliance_checklist_page.py runs it), for compliance officers and network
administrators. Each form is one service call, one transaction, one audit row; a refusal is a sentence.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.governance import compliance_checklist_commands, compliance_checklists
from dashboard.kit import commands, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from db.models.checklists import MAX_EVIDENCE_BYTES

ANSWER = Command("answer", compliance_checklist_commands.answer_item,
                 done="{code} answered {word}; the {type_name} score is now {score}.",
                 words=("code", "word", "type_name", "score"))  # fmt: skip
ATTACH = Command("attach", compliance_checklist_commands.add_evidence,
                 done="Evidence attached to {code}; it is kept as the type its content shows.",
                 words=("code",))  # fmt: skip
UPLOAD_TYPES = ["pdf", "png", "jpg", "jpeg"]
UPLOAD_HELP = "A PDF, PNG or JPEG of at most 5 MB; its type is read from its content, whatever its name says."


def show(ctx: PageContext, sheet: compliance_checklists.Checklist) -> None:
    by_id = {r.item_id: r for r in sheet.rows}
    first = next((r.item_id for r in sheet.rows if r.answer is None), sheet.rows[0].item_id)
    left, right = st.columns(2)
    with left:
        st.markdown("**Answer an item**")
        item_id = st.selectbox("Item", list(by_id), index=list(by_id).index(first),
                               key=f"{commands.form_key(ctx, 'answer_item')}_{sheet.assessment_id}",
                               format_func=lambda i: f"{by_id[i].code} · {by_id[i].text[:70]}"
                               f"{' (required)' if by_id[i].required else ''}")  # fmt: skip
        chosen = by_id[item_id]
        st.caption(f"{chosen.code} is now {chosen.answer_word.lower()}; weight {chosen.weight}"
                   f"{', required' if chosen.required else ''}.")  # fmt: skip
        # One form; its fields are keyed by the item, so picking another item shows that item's answer and note.
        suffix = f"{sheet.assessment_id}_{item_id}"
        with st.form(commands.form_key(ctx, f"answer_{sheet.assessment_id}"), border=False):
            answer = st.radio("Answer", list(compliance_checklists.ANSWER_WORDS), horizontal=True,
                              format_func=compliance_checklists.ANSWER_WORDS.get,
                              index=list(compliance_checklists.ANSWER_WORDS).index(chosen.answer or "met"),
                              key=f"{commands.form_key(ctx, 'answer_choice')}_{suffix}")  # fmt: skip
            note = st.text_input("Note", value=chosen.note or "", max_chars=1000,
                                 placeholder="What was seen; for an item not met, what is missing.",
                                 key=f"{commands.form_key(ctx, 'answer_note')}_{suffix}")  # fmt: skip
            submitted = st.form_submit_button("Save the answer", type="primary")
        if submitted:
            _run_answer(ctx, sheet, chosen, answer, note)
    with right:
        st.markdown("**Attach evidence**")
        with st.form(commands.form_key(ctx, f"attach_{sheet.assessment_id}"), border=False):
            target = st.selectbox("For item", list(by_id), format_func=lambda i: f"{by_id[i].code} · "
                                  f"{by_id[i].text[:70]}", index=list(by_id).index(item_id))  # fmt: skip
            upload = st.file_uploader("File to attach", type=UPLOAD_TYPES, help=UPLOAD_HELP,
                                      max_upload_size=MAX_EVIDENCE_BYTES // (1024 * 1024))  # fmt: skip
            attached = st.form_submit_button("Attach the file", type="primary")
        if attached:
            if upload is None:
                say.error("Choose the file to attach first.")
            else:
                commands.run(ctx, ATTACH, sheet.assessment_id, item_id=target, content=upload.getvalue(),
                             file_name=upload.name, affects=sheet.hospital_id, code=by_id[target].code)  # fmt: skip


def _run_answer(ctx: PageContext, sheet, chosen, answer: str, note: str) -> None:
    items = [(r.weight, r.required, answer if r.item_id == chosen.item_id else r.answer) for r in sheet.rows]
    after = compliance_checklists.score_of(items).score  # the words only; the service computes what it stores
    commands.run(ctx, ANSWER, sheet.assessment_id, item_id=chosen.item_id, answer=answer, note=note,
                 affects=sheet.hospital_id, code=chosen.code, word=compliance_checklists.ANSWER_WORDS[answer].lower(),
                 type_name=sheet.compliance_type, score="no score" if after is None else f"{after} / 100")  # fmt: skip
