"""Compliance checklists: each type's standard items, an assessment's answers and evidence, and the score they make.

The standard (compliance_checklist_items, migration 0024) is the network's: every hospital is assessed on the
same items of a type. An assessment answers each item met, not met or not applicable, and may attach evidence
files to an item (PDF or image, kept in PostgreSQL). The score is the figure catalogue's `checklist_score`:

- the weighted share of the applicable items that are met: 100 × (weights of items met) ÷ (weights of every
  item not answered "not applicable"), rounded half up; an item not answered yet counts as not met;
- a required item not met (or not answered yet) caps the score at the top of the middle band (84 with the
  default bands, "partially compliant"): an assessment failing a required point is never compliant;
- every item not applicable: no score.

The score is written to the assessment's own `score` (compliance_checklist_commands), so the cards, the heat map,
the history and the Overview read this one number. An assessment nobody has answered a checklist item of keeps the
score its assessor typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import HCT, RESOURCE_TYPE, score_bands
from dashboard.domains.governance.compliance_assessments import names_of
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope
from db.models import (
    ComplianceChecklistAnswer,
    ComplianceChecklistItem,
    ComplianceEvidence,
    Hospital,
    HospitalComplianceTracking,
)

ITEM = ComplianceChecklistItem
ANSWER = ComplianceChecklistAnswer
EVIDENCE = ComplianceEvidence
EVIDENCE_RESOURCE = "compliance_evidence"
ANSWER_WORDS = {"met": "Met", "not_met": "Not met", "not_applicable": "Not applicable"}


@dataclass(frozen=True)
class ChecklistScore:
    score: int | None  # the assessment's score: None when every item is not applicable
    uncapped: int | None  # the weighted share before a required item's cap
    capped: bool  # a required item not met (or unanswered) held the score down
    met: int
    not_met: int
    not_applicable: int
    unanswered: int
    required_failing: tuple[str, ...]  # codes of required items not met or not answered


def score_of(answers: Iterable[tuple[int, bool, str | None]]) -> ChecklistScore:
    """The score of a checklist from (weight, required, answer or None) per item (the module's rule)."""
    met_weight = applicable_weight = 0
    counts = {"met": 0, "not_met": 0, "not_applicable": 0, None: 0}
    failing = False
    for weight, required, answer in answers:
        counts[answer if answer in counts else None] += 1
        if answer == "not_applicable":
            continue
        applicable_weight += weight
        if answer == "met":
            met_weight += weight
        elif required:
            failing = True
    uncapped = None if not applicable_weight else (200 * met_weight + applicable_weight) // (2 * applicable_weight)
    ceiling = score_bands()[0].lower - 1  # the top of the middle band
    score = uncapped if uncapped is None or not failing else min(uncapped, ceiling)
    return ChecklistScore(score, uncapped, score != uncapped, counts["met"], counts["not_met"],
                          counts["not_applicable"], counts[None], ())  # fmt: skip


@dataclass(frozen=True)
class EvidenceFile:
    id: str
    file_name: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime
    uploaded_by: str | None  # a name, never an id


@dataclass(frozen=True)
class ChecklistRow:
    item_id: str
    code: str
    text: str
    required: bool
    weight: int
    answer: str | None  # met, not_met, not_applicable; None not answered yet
    note: str | None
    answered_by: str | None  # a name
    answered_at: datetime | None
    evidence: tuple[EvidenceFile, ...]

    @property
    def answer_word(self) -> str:
        return ANSWER_WORDS.get(self.answer or "", "Not answered")


@dataclass(frozen=True)
class Checklist:
    assessment_id: str
    hospital_id: str
    hospital_name: str
    compliance_type: str
    assessed_at: datetime
    stored_score: int | None  # the assessment's score as stored (the checklist's once an item is answered)
    status: str
    current: bool  # the latest assessment of its hospital and type: only it may be answered
    rows: tuple[ChecklistRow, ...]
    result: ChecklistScore

    @property
    def answered(self) -> int:
        return sum(r.answer is not None for r in self.rows)


def items_of(db: Session, compliance_type: str) -> list[ComplianceChecklistItem]:
    """The standard checklist of a type, in order (none for a type the network has no standard for)."""
    return list(db.scalars(select(ITEM).where(ITEM.compliance_type == compliance_type).order_by(ITEM.position)))


def assessment_row(db: Session, actor: Actor, assessment_id: str) -> HospitalComplianceTracking:
    """The assessment, refused (and audited) outside the actor's scope."""
    row = db.get(HCT, assessment_id) if usable_id(assessment_id) else None
    if row is None:
        raise NotFound("That assessment no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=row.id, row_hospital_id=row.hospital_id)
    return row


def is_current(db: Session, row) -> bool:
    latest = db.scalar(
        select(HCT.id)
        .where(HCT.hospital_id == row.hospital_id, HCT.compliance_type == row.compliance_type)
        .order_by(HCT.last_assessment_date.desc(), HCT.created_at.desc(), HCT.id.desc())
        .limit(1)
    )
    return latest == row.id


def result_of(items: list[ComplianceChecklistItem], answers: dict[str, str]) -> ChecklistScore:
    scored = score_of((i.weight, i.required, answers.get(i.id)) for i in items)
    failing = tuple(i.code for i in items if i.required and answers.get(i.id) not in ("met", "not_applicable"))
    return ChecklistScore(**{**scored.__dict__, "required_failing": failing})


@permissions.reads("compliance", "see compliance checklists")
def current_assessment_id(db: Session, actor: Actor, *, hospital_id: str, compliance_type: str) -> str | None:
    """The id of the current assessment of a hospital's type in scope, or None."""
    if not (usable_id(hospital_id) and isinstance(compliance_type, str)):
        return None
    stmt = (
        select(HCT.id, HCT.hospital_id)
        .where(HCT.hospital_id == hospital_id, HCT.compliance_type == compliance_type)
        .order_by(HCT.last_assessment_date.desc(), HCT.created_at.desc(), HCT.id.desc())
        .limit(1)
    )
    found = db.execute(stmt).first()
    if found is None:
        return None
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=found.id, row_hospital_id=found.hospital_id)
    return found.id


@permissions.reads("compliance", "see compliance checklists")
def checklist(db: Session, actor: Actor, assessment_id: str) -> Checklist:
    """An assessment's checklist: each standard item with its answer and evidence (names, not contents), and the
    score they make."""
    row = assessment_row(db, actor, assessment_id)
    items = items_of(db, row.compliance_type)
    answers = {a.item_id: a for a in db.scalars(select(ANSWER).where(ANSWER.assessment_id == row.id))}
    files = db.execute(
        select(EVIDENCE.id, EVIDENCE.item_id, EVIDENCE.file_name, EVIDENCE.content_type, EVIDENCE.size_bytes,
               EVIDENCE.uploaded_at, EVIDENCE.uploaded_by)
        .where(EVIDENCE.assessment_id == row.id)
        .order_by(EVIDENCE.uploaded_at, EVIDENCE.id)
    ).all()  # fmt: skip
    people = {a.answered_by for a in answers.values()} | {f.uploaded_by for f in files}
    names = names_of(db, {p for p in people if p and usable_id(p)})
    by_item: dict[str, list[EvidenceFile]] = {}
    for f in files:
        by_item.setdefault(f.item_id, []).append(
            EvidenceFile(f.id, f.file_name, f.content_type, f.size_bytes, f.uploaded_at, names.get(f.uploaded_by or ""))
        )
    rows = tuple(
        ChecklistRow(
            i.id, i.code, i.text, i.required, i.weight,
            answers[i.id].answer if i.id in answers else None,
            answers[i.id].note if i.id in answers else None,
            names.get(answers[i.id].answered_by or "") if i.id in answers else None,
            answers[i.id].answered_at if i.id in answers else None,
            tuple(by_item.get(i.id, ())),
        )
        for i in items
    )  # fmt: skip
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == row.hospital_id)) or "the hospital"
    return Checklist(row.id, row.hospital_id, hospital_name, row.compliance_type, row.last_assessment_date,
                     row.score, row.status, is_current(db, row), rows,
                     result_of(items, {k: a.answer for k, a in answers.items()}))  # fmt: skip


@dataclass(frozen=True)
class StoredEvidence:
    file_name: str
    content_type: str
    content: bytes
    uploaded_at: datetime


@permissions.reads("compliance", "download compliance evidence")
def evidence_file(db: Session, actor: Actor, evidence_id: str) -> StoredEvidence:
    """One evidence file's bytes, for a session whose scope holds its hospital; each download is audited."""
    row = db.execute(
        select(EVIDENCE.id, EVIDENCE.hospital_id, EVIDENCE.assessment_id, EVIDENCE.file_name, EVIDENCE.content_type,
               EVIDENCE.content, EVIDENCE.uploaded_at)
        .where(EVIDENCE.id == evidence_id)
    ).first() if usable_id(evidence_id) else None  # fmt: skip
    if row is None:  # row-level security hides another hospital's files from a hospital's session
        raise NotFound("That evidence file no longer exists, or is not in your scope.")
    require_in_scope(db, actor, resource_type=EVIDENCE_RESOURCE, resource_id=row.id, row_hospital_id=row.hospital_id)
    audit.record_read(db, actor, action_type="compliance_evidence_read", resource_type=EVIDENCE_RESOURCE,
                      values={"assessment": row.assessment_id, "evidence": row.id})  # fmt: skip
    return StoredEvidence(row.file_name, row.content_type, bytes(row.content), row.uploaded_at)
