"""Compliance assessments: those overdue or due soon, the types assessed, and a hospital's history of a type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Float, Select, cast, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import (
    DUE_SOON_DAYS,
    HCT,
    KNOWN_TYPES,
    RESOURCE_TYPE,
    Entry,
    clean_search,
    current,
    parse_details,
    parse_entries,
)
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import hospital_in_scope, limit_to_scope
from db.models import Hospital, Profile, User

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class DueAssessment:
    id: str
    hospital_id: str
    hospital_name: str
    compliance_type: str
    status: str
    score: int | None
    assessed_at: datetime
    next_due: datetime
    days_overdue: float  # negative while still ahead


@dataclass(frozen=True)
class Assessment:
    id: str
    hospital_id: str
    hospital_name: str
    compliance_type: str
    status: str
    score: int | None
    assessed_at: datetime
    next_due: datetime | None
    assessor: str | None  # a name, never an id
    details: dict[str, str]
    details_raw: str | None
    violations: list[Entry]
    violations_raw: str | None
    actions: list[Entry]
    actions_raw: str | None
    closed_by_names: dict[str, str] = field(default_factory=dict)  # users.id -> name, for closed entries


def due_select(actor: Actor, search: str) -> Select:
    latest = current(
        actor, HCT.id, HCT.hospital_id, HCT.compliance_type, HCT.status, HCT.score, HCT.last_assessment_date,
        HCT.next_assessment_due,
    ).subquery("current")  # fmt: skip
    overdue_days = cast(func.extract("epoch", func.now() - latest.c.next_assessment_due), Float) / 86400.0
    stmt = (
        select(latest.c.id, latest.c.hospital_id, Hospital.name, latest.c.compliance_type,
               latest.c.status, latest.c.score, latest.c.last_assessment_date,
               latest.c.next_assessment_due, overdue_days)
        .join(Hospital, Hospital.id == latest.c.hospital_id)
        .where(latest.c.next_assessment_due < func.now() + timedelta(days=DUE_SOON_DAYS))
    )  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(Hospital.name.ilike(pattern), latest.c.compliance_type.ilike(pattern)))
    return stmt.order_by(latest.c.next_assessment_due, Hospital.name, latest.c.compliance_type)


@permissions.reads("compliance", "see compliance due dates", replica=True)
def list_due(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[DueAssessment]:
    """Current assessments overdue or due within DUE_SOON_DAYS, most overdue first."""
    rows, total, page, page_size = fetch_page(db, due_select(actor, clean_search(search)), page=page,
                                              page_size=page_size)  # fmt: skip
    return Page([DueAssessment(*r) for r in rows], total, page, page_size)


@permissions.reads("compliance", "export compliance due dates")
def export_due(db: Session, actor: Actor, *, search: str = "") -> tuple[list[DueAssessment], bool]:
    rows, truncated = fetch_capped(db, due_select(actor, clean_search(search)))
    audit.record_export(db, actor, action_type="compliance_due_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": clean_search(search).strip() or None}, rows=len(rows))  # fmt: skip
    return [DueAssessment(*r) for r in rows], truncated


@permissions.reads("compliance", "see compliance types", replica=True)
def compliance_types(db: Session, actor: Actor) -> list[str]:
    """The network's known types, then any other type assessed in scope."""
    found = db.scalars(limit_to_scope(select(HCT.compliance_type).distinct(), actor, HCT.hospital_id)).all()
    return [*KNOWN_TYPES, *sorted(t for t in found if t not in KNOWN_TYPES)]


def names_of(db: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = db.execute(
        select(User.id, people.name_or(User.email))
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(list(user_ids)))
    )
    return dict(rows.all())


def _assessment(row, names: dict[str, str]) -> Assessment:
    details, details_raw = parse_details(row.assessment_details)
    violations, violations_raw = parse_entries(row.violations)
    actions, actions_raw = parse_entries(row.corrective_actions)
    return Assessment(
        id=row.id,
        hospital_id=row.hospital_id,
        hospital_name=row.name,
        compliance_type=row.compliance_type,
        status=row.status,
        score=row.score,
        assessed_at=row.last_assessment_date,
        next_due=row.next_assessment_due,
        assessor=names.get(row.assessed_by or "") if row.assessed_by else None,
        details=details,
        details_raw=details_raw,
        violations=violations,
        violations_raw=violations_raw,
        actions=actions,
        actions_raw=actions_raw,
        closed_by_names={
            e.closed_by: names[e.closed_by] for e in [*violations, *actions] if e.closed_by and e.closed_by in names
        },
    )


def _with_names(db: Session, rows) -> list[Assessment]:
    ids: set[str] = {r.assessed_by for r in rows if r.assessed_by}
    for r in rows:
        for value in (r.violations, r.corrective_actions):
            if isinstance(value, list):
                ids.update(e["closed_by"] for e in value if isinstance(e, dict) and isinstance(e.get("closed_by"), str))
    names = names_of(db, {i for i in ids if usable_id(i)})
    return [_assessment(r, names) for r in rows]


def _assessment_columns():
    return (HCT.id, HCT.hospital_id, Hospital.name, HCT.compliance_type, HCT.status, HCT.score,
            HCT.last_assessment_date, HCT.next_assessment_due, HCT.assessed_by, HCT.assessment_details,
            HCT.violations, HCT.corrective_actions)  # fmt: skip


@permissions.reads("compliance", "see compliance history", replica=True)
def history(db: Session, actor: Actor, *, hospital_id: str, compliance_type: str) -> list[Assessment]:
    """A hospital's assessments of one type, newest first (at most HISTORY_LIMIT): the current one and its past."""
    hospital_in_scope(db, actor, hospital_id)
    if not isinstance(compliance_type, str) or not usable_id(compliance_type):
        raise InvalidInput("Pick a compliance type from the list.")
    rows = db.execute(
        select(*_assessment_columns())
        .join(Hospital, Hospital.id == HCT.hospital_id)
        .where(HCT.hospital_id == hospital_id, HCT.compliance_type == compliance_type)
        .order_by(HCT.last_assessment_date.desc(), HCT.created_at.desc(), HCT.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return _with_names(db, rows)


