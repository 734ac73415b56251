"""The open emergencies: one query that the list pages, the export files and the dispatcher picks from.

Oldest critical first (severity, then the longest waiting), each with its latest referral. The
list and the export take the same filters through the same query (`_open_query`), so the file
holds the rows the list shows and its audit row records the filters it applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from dashboard.domains.emergencies import emergency as rules
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from db import settings
from db.models import EmergencyRequest, Hospital, Profile
from db.models.emergency import Referral

# The open counts are figures the Overview shows too, so its readers may ask for them.
FIGURE_READERS = permissions.readers("emergencies") | permissions.readers("overview")
UNNAMED = "Unnamed patient"


@dataclass(frozen=True)
class OpenEmergency:
    id: str
    hospital_id: str | None
    hospital_name: str | None
    patient_name: str
    emergency_type: str
    description: str | None
    severity: str
    status: str
    latitude: float | None
    longitude: float | None
    created_at: datetime
    age_minutes: float
    referral_status: str | None  # the latest referral's status, None when never referred
    referral_hospital: str | None
    referral_overdue: bool  # pending past the answer time limit

    @property
    def suggested_bed(self) -> str:
        return rules.suggested_bed(self.emergency_type, self.severity)


@dataclass(frozen=True)
class OpenCounts:
    open: int  # figure "open_emergencies"
    critical: int  # figure "critical_emergencies"


def _latest_referral():
    """The latest referral of each emergency (DISTINCT ON), for the open list's referral column."""
    return (
        select(
            Referral.emergency_request_id.label("emergency_id"),
            Referral.status.label("status"),
            Referral.referred_at.label("referred_at"),
            Hospital.name.label("hospital_name"),
        )
        .join(Hospital, Hospital.id == Referral.to_hospital_id)
        .ext(distinct_on(Referral.emergency_request_id))
        .order_by(Referral.emergency_request_id, Referral.referred_at.desc(), Referral.id.desc())
        .subquery("latest_referral")
    )


def _open_query(actor: Actor, values: settings.Settings, *, severity: str | None = None, search: str = ""):
    latest = _latest_referral()
    answer_by = latest.c.referred_at + func.make_interval(0, 0, 0, 0, 0, literal(values.referral_answer_minutes))
    stmt = (
        select(
            EmergencyRequest.id,
            EmergencyRequest.hospital_id,
            Hospital.name,
            people.name_or(UNNAMED),
            EmergencyRequest.emergency_type,
            EmergencyRequest.description,
            EmergencyRequest.severity,
            EmergencyRequest.status,
            EmergencyRequest.location_latitude,
            EmergencyRequest.location_longitude,
            EmergencyRequest.created_at,
            rules.age_minutes,
            latest.c.status,
            latest.c.hospital_name,
            func.coalesce(and_(latest.c.status == "pending", answer_by < func.now()), false()),
        )
        .outerjoin(Hospital, Hospital.id == EmergencyRequest.hospital_id)
        .outerjoin(Profile, Profile.user_id == EmergencyRequest.patient_id)
        .outerjoin(latest, latest.c.emergency_id == EmergencyRequest.id)
        .where(EmergencyRequest.status.in_(rules.OPEN_STATUSES))
    )
    severity = rules.check_severity(severity)
    if severity:
        stmt = stmt.where(EmergencyRequest.severity == severity)
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(
                people.full_name().ilike(pattern),
                EmergencyRequest.emergency_type.ilike(pattern.replace(" ", "_")),
                Hospital.name.ilike(pattern),
            )
        )
    # Oldest critical first: severity, then the longest waiting.
    return rules.scoped(stmt, actor).order_by(rules.severity_rank, EmergencyRequest.created_at, EmergencyRequest.id)


def _open_row(r: Any) -> OpenEmergency:
    return OpenEmergency(
        *r[:8],
        latitude=rules.as_float(r[8]),
        longitude=rules.as_float(r[9]),
        created_at=r[10],
        age_minutes=float(r[11]),
        referral_status=r[12],
        referral_hospital=r[13],
        referral_overdue=bool(r[14]),
    )


@permissions.reads("emergencies", "see emergencies")
def list_open(
    db: Session,
    actor: Actor,
    *,
    severity: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 25,
    values: settings.Settings | None = None,
) -> Page[OpenEmergency]:
    """Open emergencies in scope, oldest critical first (severity, then age), paginated in SQL."""
    stmt = _open_query(actor, values or settings.current(), severity=severity, search=search)
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([_open_row(r) for r in rows], total, page, page_size)


@permissions.reads("emergencies", "export emergencies")
def export_open(
    db: Session, actor: Actor, *, severity: str | None = None, search: str = "", values: settings.Settings | None = None
) -> tuple[list[OpenEmergency], bool]:
    """Every open emergency the list shows under the same filters (up to the export limit); audited."""
    stmt = _open_query(actor, values or settings.current(), severity=severity, search=search)
    rows, truncated = fetch_capped(db, stmt)
    audit.record_export(
        db,
        actor,
        action_type="emergencies_exported",
        resource_type="emergency_request",
        filters={"severity": severity, "search": search.strip() or None},
        rows=len(rows),
    )
    return [_open_row(r) for r in rows], truncated


@permissions.reads(FIGURE_READERS, "see emergency figures")
def open_counts(db: Session, actor: Actor) -> OpenCounts:
    """The figures "Open emergencies" and "Critical, open": the rows `list_open` lists, counted in SQL.

    Open means OPEN_STATUSES (pending, dispatched, in progress); in scope means what the list shows
    a hospital: the emergencies it holds and those referred to or from it. So the card above the
    list and the list's "1–25 of N" are one number, and the Overview reads the same function.
    """
    stmt = select(func.count(), func.count().filter(EmergencyRequest.severity == "critical")).where(
        EmergencyRequest.status.in_(rules.OPEN_STATUSES)
    )
    total, critical = db.execute(rules.scoped(stmt, actor)).one()
    return OpenCounts(int(total), int(critical))


@permissions.reads("emergencies", "see emergencies")
def open_choices(db: Session, actor: Actor, *, limit: int = 200) -> list[OpenEmergency]:
    """The open emergencies in scope a dispatcher picks from, oldest critical first (at most `limit`)."""
    stmt = _open_query(actor, settings.current()).limit(max(1, min(int(limit), 1000)))
    return [_open_row(r) for r in db.execute(stmt)]


def get_open(db: Session, actor: Actor, emergency_id: str, values: settings.Settings | None = None) -> OpenEmergency:
    """One emergency as the open list shows it; refused when closed, missing or outside the scope."""
    emergency = rules.find(db, actor, emergency_id)
    rules.require_open(emergency, "nothing more can be done.")
    network = Actor(actor.user_id, actor.role, None, actor.client)  # the scope was checked just above
    row = db.execute(_open_query(network, values or settings.current()).where(EmergencyRequest.id == emergency.id))
    return _open_row(row.one())
