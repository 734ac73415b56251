"""Hospitals in the actor's scope: the directory page, its export, and the ADMIN's scope picker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import HCT, current_ids
from dashboard.platform import audit, permissions
from dashboard.platform.actors import STAFF_ROLES, Actor
from dashboard.platform.errors import NotFound
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope
from db.base import UserRole
from db.models import Hospital, PatientWaitlist, Profile


@dataclass(frozen=True)
class HospitalRow:
    id: str
    name: str
    city: str | None
    state: str | None
    lga: str | None
    phone: str | None
    email: str | None
    verification_status: str
    is_active: bool
    staff_accounts: int
    patients_waiting: int
    created_at: datetime
    compliance_score: float | None = None  # the catalogue's compliance_score: its current assessments' average


@permissions.reads("hospitals", "see the hospital list")
def list_hospitals(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[HospitalRow]:
    rows, total, page, page_size = fetch_page(db, _directory_query(actor, search), page=page, page_size=page_size)
    return Page([HospitalRow(*r) for r in rows], total, page, page_size)


@permissions.reads("hospitals", "export the hospital list")
def export_hospitals(db: Session, actor: Actor, *, search: str = "") -> tuple[list[HospitalRow], bool]:
    """The directory as the list shows it, every row up to paging.EXPORT_LIMIT; the export is audited.

    Returns the rows and whether the limit cut the list short.
    """
    rows, truncated = fetch_capped(db, _directory_query(actor, search))
    filters = {"search": search.strip() or None}
    audit.record_export(
        db, actor, action_type="hospital_directory_exported", resource_type="hospital", filters=filters, rows=len(rows)
    )
    return [HospitalRow(*r) for r in rows], truncated


def _directory_query(actor: Actor, search: str) -> Select:
    staff = (
        select(func.count())
        .where(Profile.hospital_id == Hospital.id, Profile.role.in_(STAFF_ROLES))
        .correlate(Hospital)
        .scalar_subquery()
    )
    waiting = (
        select(func.count())
        .where(PatientWaitlist.hospital_id == Hospital.id, PatientWaitlist.status == "waiting")
        .correlate(Hospital)
        .scalar_subquery()
    )
    # The average score of the hospital's current assessments: compliance_scores.summary's, for one hospital.
    compliance = (
        select(func.avg(HCT.score))
        .where(HCT.hospital_id == Hospital.id, HCT.id.in_(current_ids(actor).scalar_subquery()))
        .correlate(Hospital)
        .scalar_subquery()
    )
    stmt = select(
        Hospital.id,
        Hospital.name,
        Hospital.city,
        Hospital.state,
        Hospital.lga,
        Hospital.phone,
        Hospital.email,
        Hospital.verification_status,
        Hospital.is_active,
        staff,
        waiting,
        Hospital.created_at,
        compliance,
    )
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(Hospital.name.ilike(pattern), Hospital.city.ilike(pattern), Hospital.state.ilike(pattern))
        )
    return limit_to_scope(stmt, actor, Hospital.id).order_by(Hospital.name, Hospital.id)


@permissions.reads(STAFF_ROLES, "see hospitals")
def get_hospital_name(db: Session, actor: Actor, hospital_id: str) -> str:
    """One hospital's name; refused (and audited) when it is outside the actor's scope."""
    name = db.scalar(select(Hospital.name).where(Hospital.id == hospital_id))
    if name is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    return name


@permissions.reads(STAFF_ROLES, "see hospitals")
def hospital_choices(db: Session, actor: Actor) -> list[tuple[str, str]]:
    """(id, name) of the hospitals the actor may pick: all for an ADMIN, else their own."""
    stmt = select(Hospital.id, Hospital.name).order_by(Hospital.name, Hospital.id)
    if actor.role is not UserRole.ADMIN:
        stmt = limit_to_scope(stmt, actor, Hospital.id)
    return [(r.id, r.name) for r in db.execute(stmt)]
