"""Checklist commands: answer an item of the current assessment (its score follows), and attach evidence to one.

Each checks what a form sends, refuses in a sentence, and writes one audit row in its own transaction. Only a
hospital's current assessment of a type may be answered or given evidence: the earlier ones are its history.
Evidence is recognised by its content (`filetype`, as licences' papers are): a PDF, PNG or JPEG of at most
5 MB; a name that says another type is renamed for what the content is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import HCT, RESOURCE_TYPE, band_of
from dashboard.domains.governance.compliance_checklists import (
    ANSWER,
    ANSWER_WORDS,
    EVIDENCE,
    EVIDENCE_RESOURCE,
    ITEM,
    ChecklistScore,
    is_current,
    items_of,
    result_of,
)
from dashboard.domains.governance.licence_commands import DocumentWords, checked_document
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.models import HospitalComplianceTracking
from db.models.checklists import MAX_NOTE_LENGTH

WRITERS = permissions.writers("compliance")
EVIDENCE_WORDS = DocumentWords(
    attach="Attach the evidence as a file (PDF, PNG or JPEG).", empty="attach the evidence itself.",
    limit="an evidence file can be at most", kept_as="Attach the evidence as a PDF, PNG or JPEG file.",
    stem="evidence", renames=True,
)  # fmt: skip
_audit = audit.Recorder("compliance", RESOURCE_TYPE, impact="medium", compliance_relevant=True)


def _current(db: Session, actor: Actor, assessment_id: Any, doing: str) -> HospitalComplianceTracking:
    """The assessment, locked, in scope, and the current one of its hospital and type."""
    row = None
    if usable_id(assessment_id):
        row = db.scalars(
            select(HCT).where(HCT.id == assessment_id).with_for_update().execution_options(populate_existing=True)
        ).first()
    if row is None:
        raise NotFound("That assessment no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=row.id, row_hospital_id=row.hospital_id)
    if not is_current(db, row):
        raise InvalidInput(f"A newer {row.compliance_type} assessment has replaced this one; {doing} on the newer "
                           "one.")  # fmt: skip
    return row


def _item(db: Session, row: HospitalComplianceTracking, item_id: Any):
    item = db.get(ITEM, item_id) if usable_id(item_id) else None
    if item is None or item.compliance_type != row.compliance_type:
        raise InvalidInput(f"Pick an item of the {row.compliance_type} checklist.")
    return item


@dataclass(frozen=True)
class Answered:
    code: str
    answer_word: str
    score: int | None
    status: str
    result: ChecklistScore


def answer_item(db: Session, actor: Actor, assessment_id: str, *, item_id: str, answer: Any,
                note: Any = None) -> Answered:  # fmt: skip
    """Answer one item of the current assessment (again, if it was answered); the assessment's score and status
    follow the checklist (an assessment under review stays under review)."""
    require_role(db, actor, WRITERS, "answer compliance checklists")
    row = _current(db, actor, assessment_id, "answer the checklist")
    item = _item(db, row, item_id)
    if answer not in ANSWER_WORDS:
        raise InvalidInput(f"Answer {item.code} as met, not met or not applicable.")
    words = checked_text(note, f"The note on {item.code}", MAX_NOTE_LENGTH)
    if answer == "not_met" and words is None and item.required:
        raise InvalidInput(f"{item.code} is a required item: say in the note what is missing, so it can be put "
                           "right.")  # fmt: skip
    # The assessment's row is locked (_current), so two answers to it queue: read, then insert or change.
    existing = db.scalars(select(ANSWER).where(ANSWER.assessment_id == row.id, ANSWER.item_id == item.id)).first()
    before = {"answer": existing.answer, "note": existing.note} if existing else {"answer": None, "note": None}
    if existing is None:
        db.add(ANSWER(assessment_id=row.id, hospital_id=row.hospital_id, item_id=item.id, answer=answer, note=words,
                      answered_by=actor.user_id))  # fmt: skip
    else:
        existing.answer, existing.note, existing.answered_by = answer, words, actor.user_id
        existing.answered_at = func.now()
    db.flush()
    answers = dict(db.execute(select(ANSWER.item_id, ANSWER.answer).where(ANSWER.assessment_id == row.id)).all())
    result = result_of(items_of(db, row.compliance_type), answers)
    old_score, old_status = row.score, row.status
    row.score = result.score
    if row.status != "under_review":
        band = band_of(result.score)
        row.status = band.status if band is not None else row.status
    db.flush()
    _audit(db, actor, "compliance_checklist_answered", row.id, hospital=row.hospital_id,
           old={"item": item.code, **before, "score": old_score, "status": old_status},
           new={"item": item.code, "answer": answer, "note": words, "score": row.score,
                "status": row.status})  # fmt: skip
    return Answered(item.code, ANSWER_WORDS[answer], row.score, row.status, result)


@dataclass(frozen=True)
class EvidenceAdded:
    id: str
    code: str
    file_name: str
    content_type: str


def add_evidence(db: Session, actor: Actor, assessment_id: str, *, item_id: str, content: Any,
                 file_name: Any) -> EvidenceAdded:  # fmt: skip
    """Attach one file to an item of the current assessment: kept in the database, only ever added to."""
    require_role(db, actor, WRITERS, "attach compliance evidence")
    row = _current(db, actor, assessment_id, "attach the evidence")
    item = _item(db, row, item_id)
    checked = checked_document(content, file_name, words=EVIDENCE_WORDS)
    stored = EVIDENCE(assessment_id=row.id, hospital_id=row.hospital_id, item_id=item.id, file_name=checked.file_name,
                      content_type=checked.content_type, size_bytes=len(checked.content), content=checked.content,
                      uploaded_by=actor.user_id)  # fmt: skip
    db.add(stored)
    db.flush()
    _audit(db, actor, "compliance_evidence_added", stored.id, hospital=row.hospital_id,
           resource_type=EVIDENCE_RESOURCE,
           new={"assessment": row.id, "item": item.code, "file_name": checked.file_name,
                "content_type": checked.content_type, "size_bytes": len(checked.content)})  # fmt: skip
    return EvidenceAdded(stored.id, item.code, checked.file_name, checked.content_type)
