"""Admissions (hospital_patients) in the actor's scope: the census, the flow, the admitted and the pickers' choices.

A current admission has status "admitted" (or the document's default "active") and no discharge
date. It holds one unit of a bed resource (`bed_resource_id`), or none while the patient waits for
a bed. Admit, discharge and transfer are in `admission_commands`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, Select, and_, cast, func, null, or_, select
from sqlalchemy.orm import Session, aliased

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range, day_series, lagos_midnight
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import hospital_in_scope, limit_to_scope
from db.base import UserRole
from db.models import Hospital, HospitalPatient, HospitalResource, Profile, User
from db.rules import BED_CATEGORY, CURRENT_ADMISSION_STATUSES

ADMISSION_WRITERS = permissions.writers("admissions")
WAITING_FOR_BED = "Waiting for a bed"

PatientProfile = aliased(Profile, name="patient_profile")
PhysicianProfile = aliased(Profile, name="physician_profile")

CURRENT = and_(
    HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES),
    HospitalPatient.discharge_date.is_(None),
)
_days_so_far = (
    cast(
        func.extract(
            "epoch", func.coalesce(HospitalPatient.discharge_date, func.now()) - HospitalPatient.admission_date
        ),
        Float,
    )
    / 86400.0
)
_patient_name = people.name_or(User.email, PatientProfile)
# A discharged patient's stay in days, from admission to discharge: the average length of stay averages it
# (stay_figures here, each hospital's on the Peers page).
stay_days = (
    cast(func.extract("epoch", HospitalPatient.discharge_date - HospitalPatient.admission_date), Float) / 86400.0
)


@dataclass(frozen=True)
class WardCensus:
    hospital_id: str
    hospital_name: str
    ward: str  # the bed resource's name, or WAITING_FOR_BED
    waiting_for_bed: bool
    room_number: str | None  # None in a census by ward (by_room=False), or for a patient with no room
    patients: int
    average_days: float  # length of stay so far
    longest_days: float


@dataclass(frozen=True)
class DayFlow:
    day: date  # Africa/Lagos
    admissions: int
    discharges: int


@dataclass(frozen=True)
class StayFigures:
    """A discharge is any admission that ended in the period: discharged home or transferred out."""

    start: date
    end: date
    average_stay_days: float | None  # of the discharges in the period; None when there were none
    discharges: int
    beds: int  # total beds in scope now (every bed resource's total)
    bed_turnover: float | None  # discharges per bed in the period; None when there are no beds
    current_census: int  # patients in hospital now
    previous_start: date  # the period of equal length just before, for deltas
    previous_end: date
    previous_average_stay_days: float | None
    previous_discharges: int
    previous_bed_turnover: float | None


@dataclass(frozen=True)
class AdmittedRow:
    admission_id: str
    hospital_id: str
    hospital_name: str
    patient_id: str
    patient_name: str  # full name, or the email of a patient with no name on file
    ward: str | None  # the bed resource's name; None while waiting for a bed
    bed_resource_id: str | None
    room_number: str | None
    physician_id: str | None
    physician_name: str | None
    admitted_at: datetime
    days_so_far: float  # to the discharge for a discharged patient
    notes: str | None
    status: str
    discharged_at: datetime | None
    hospital_number: str | None = None  # the patient's number at this hospital (migration 0016)


@dataclass(frozen=True)
class PatientChoice:
    user_id: str
    name: str
    email: str
    already_admitted: bool  # currently admitted at a hospital in the actor's scope
    admitted_at_hospital: str | None  # that hospital's name
    label: str = ""  # how the picker shows the patient (people.PatientMatch.label): number, phone, age


@dataclass(frozen=True)
class BedChoice:
    resource_id: str
    name: str
    free: int


@permissions.reads("admissions", "see the ward census")
def census(db: Session, actor: Actor, *, by_room: bool = True) -> list[WardCensus]:
    """Patients in hospital now, per hospital and ward (and room, unless `by_room` is False).

    Wards are in name order with the waiting-for-bed group last, rooms in order with no room last.
    """
    waiting = HospitalResource.id.is_(None)
    ward = func.coalesce(HospitalResource.name, WAITING_FOR_BED)
    groups = [HospitalPatient.hospital_id, Hospital.name, ward, waiting]
    stmt = (
        select(
            HospitalPatient.hospital_id,
            Hospital.name,
            ward,
            waiting,
            HospitalPatient.room_number if by_room else null(),
            func.count(),
            func.avg(_days_so_far),
            func.max(_days_so_far),
        )
        .join(Hospital, Hospital.id == HospitalPatient.hospital_id)
        .outerjoin(HospitalResource, HospitalResource.id == HospitalPatient.bed_resource_id)
        .where(CURRENT)
        .group_by(*groups, *([HospitalPatient.room_number] if by_room else []))
    )
    stmt = limit_to_scope(stmt, actor, HospitalPatient.hospital_id).order_by(
        Hospital.name,
        HospitalPatient.hospital_id,
        waiting,
        ward,
        *([HospitalPatient.room_number.nulls_last()] if by_room else []),
    )
    return [
        WardCensus(
            hospital_id=r[0],
            hospital_name=r[1],
            ward=r[2],
            waiting_for_bed=bool(r[3]),
            room_number=r[4],
            patients=r[5],
            average_days=float(r[6]),
            longest_days=float(r[7]),
        )
        for r in db.execute(stmt)
    ]


@permissions.reads("admissions", "see admissions")
def flow_by_day(db: Session, actor: Actor, *, start: date, end: date) -> list[DayFlow]:
    """Admissions and discharges per Lagos day from `start` to `end` (inclusive); a quiet day is a zero."""
    start, end = checked_range(start, end)
    series, day = day_series(start, end)
    admitted = _per_day(actor, HospitalPatient.admission_date, start, end)
    discharged = _per_day(actor, HospitalPatient.discharge_date, start, end)
    stmt = (
        select(day, func.coalesce(admitted.c.n, 0), func.coalesce(discharged.c.n, 0))
        .select_from(series)
        .outerjoin(admitted, admitted.c.day == day)
        .outerjoin(discharged, discharged.c.day == day)
        .order_by(day)
    )
    return [DayFlow(day=r[0], admissions=r[1], discharges=r[2]) for r in db.execute(stmt)]


@permissions.reads("admissions", "see admissions")
def stay_figures(db: Session, actor: Actor, *, start: date, end: date) -> StayFigures:
    """Length of stay and bed turnover of the discharges from `start` to `end`, against the period before."""
    start, end = checked_range(start, end)
    length = end - start + timedelta(days=1)
    previous_start, previous_end = start - length, start - timedelta(days=1)
    this_period = HospitalPatient.discharge_date >= lagos_midnight(start)
    discharges = db.execute(
        limit_to_scope(
            select(
                func.count().filter(this_period),
                func.avg(stay_days).filter(this_period),
                func.count().filter(~this_period),
                func.avg(stay_days).filter(~this_period),
            ).where(
                HospitalPatient.discharge_date >= lagos_midnight(previous_start),
                HospitalPatient.discharge_date < lagos_midnight(end + timedelta(days=1)),
            ),
            actor,
            HospitalPatient.hospital_id,
        )
    ).one()
    beds = db.scalar(
        limit_to_scope(
            select(func.coalesce(func.sum(HospitalResource.total_quantity), 0)).where(
                HospitalResource.category == BED_CATEGORY
            ),
            actor,
            HospitalResource.hospital_id,
        )
    )
    in_hospital = db.scalar(limit_to_scope(select(func.count()).where(CURRENT), actor, HospitalPatient.hospital_id))
    beds = int(beds or 0)
    return StayFigures(
        start=start,
        end=end,
        average_stay_days=_float(discharges[1]),
        discharges=discharges[0],
        beds=beds,
        bed_turnover=discharges[0] / beds if beds else None,
        current_census=in_hospital or 0,
        previous_start=previous_start,
        previous_end=previous_end,
        previous_average_stay_days=_float(discharges[3]),
        previous_discharges=discharges[2],
        previous_bed_turnover=discharges[2] / beds if beds else None,
    )


@permissions.reads("admissions", "see admitted patients")
def list_admitted(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 50
) -> Page[AdmittedRow]:
    """Patients in hospital now, by hospital, ward and room; searched by patient name or room."""
    rows, total, page, page_size = fetch_page(db, _admitted_query(actor, search), page=page, page_size=page_size)
    # Patient names with their wards are health data: who looked, at what, is on record (once per question).
    audit.record_read(
        db,
        actor,
        action_type="patient_list_viewed",
        resource_type="hospital_patient",
        values={"search": search.strip() or None, "page": page},
    )
    return Page([AdmittedRow(*r) for r in rows], total, page, page_size)


@permissions.reads("admissions", "export admitted patients")
def export_admitted(db: Session, actor: Actor, *, search: str = "") -> tuple[list[AdmittedRow], bool]:
    """Every admitted patient the list shows, up to paging.EXPORT_LIMIT, and whether the limit cut it; audited."""
    rows, truncated = fetch_capped(db, _admitted_query(actor, search))
    audit.record_export(
        db,
        actor,
        action_type="admitted_patients_exported",
        resource_type="hospital_patient",
        filters={"search": search.strip() or None},
        rows=len(rows),
    )
    return [AdmittedRow(*r) for r in rows], truncated


@permissions.reads("admissions", "see patients waiting for a bed")
def waiting_for_bed(db: Session, actor: Actor) -> list[AdmittedRow]:
    """Patients admitted without a bed, longest waiting first (a short list by nature: it is not paginated)."""
    stmt = _admitted_select().where(CURRENT, HospitalPatient.bed_resource_id.is_(None))
    stmt = limit_to_scope(stmt, actor, HospitalPatient.hospital_id).order_by(
        HospitalPatient.admission_date, HospitalPatient.id
    )
    rows = db.execute(stmt).all()
    audit.record_read(
        db, actor, action_type="waiting_for_bed_viewed", resource_type="hospital_patient", values={"rows": len(rows)}
    )
    return [AdmittedRow(*r) for r in rows]


@permissions.reads(ADMISSION_WRITERS, "admit patients")
def find_patients(
    db: Session, actor: Actor, text: str, *, hospital_id: str | None = None, limit: int = 20
) -> list[PatientChoice]:
    """Patients (any in the network may be admitted) found by hospital number, phone, name (typos too) or email.

    The search is `people.find_patients` (at least 2 characters, else refused in a sentence; the numbers of
    `hospital_id`, the hospital admitting), with where each one is admitted now, at a hospital in the actor's scope.
    """
    found = people.find_patients(db, actor, text, hospital_id=hospital_id, limit=limit, audit_as="patient_search")
    if not found:
        return []
    admitted_at = dict(
        db.execute(
            limit_to_scope(
                select(HospitalPatient.patient_id, func.min(Hospital.name))
                .join(Hospital, Hospital.id == HospitalPatient.hospital_id)
                .where(HospitalPatient.patient_id.in_([p.user_id for p in found]), CURRENT)
                .group_by(HospitalPatient.patient_id),
                actor,
                HospitalPatient.hospital_id,
            )
        ).all()
    )
    return [
        PatientChoice(p.user_id, p.name, p.email, p.user_id in admitted_at, admitted_at.get(p.user_id), p.label)
        for p in found
    ]


@permissions.reads(ADMISSION_WRITERS, "admit patients")
def physician_choices(db: Session, actor: Actor, hospital_id: str) -> list[tuple[str, str]]:
    """(profile id, "Name — specialization") of the active physicians of a hospital in scope."""
    hospital_in_scope(db, actor, hospital_id)
    name = people.name_or("(no name)")
    stmt = (
        select(Profile.id, name, Profile.specialization)
        .where(Profile.role == UserRole.PHYSICIAN, Profile.hospital_id == hospital_id, Profile.is_active)
        .order_by(name, Profile.id)
    )
    return [(r[0], f"{r[1]} — {r[2]}" if r[2] else r[1]) for r in db.execute(stmt)]


@permissions.reads(ADMISSION_WRITERS, "admit patients")
def bed_choices(db: Session, actor: Actor, hospital_id: str) -> list[BedChoice]:
    """The bed wards (bed resources) of a hospital in scope, with how many beds each has free now."""
    hospital_in_scope(db, actor, hospital_id)
    stmt = (
        select(HospitalResource.id, HospitalResource.name, HospitalResource.available_quantity)
        .where(HospitalResource.hospital_id == hospital_id, HospitalResource.category == BED_CATEGORY)
        .order_by(HospitalResource.name, HospitalResource.id)
    )
    return [BedChoice(*r) for r in db.execute(stmt)]


def _admitted_select() -> Select:
    return (
        select(
            HospitalPatient.id,
            HospitalPatient.hospital_id,
            Hospital.name,
            HospitalPatient.patient_id,
            _patient_name,
            HospitalResource.name,
            HospitalPatient.bed_resource_id,
            HospitalPatient.room_number,
            HospitalPatient.assigned_physician_id,
            people.full_name(PhysicianProfile),
            HospitalPatient.admission_date,
            _days_so_far,
            HospitalPatient.notes,
            HospitalPatient.status,
            HospitalPatient.discharge_date,
            people.hospital_number(HospitalPatient.hospital_id, HospitalPatient.patient_id),
        )
        .join(Hospital, Hospital.id == HospitalPatient.hospital_id)
        .join(User, User.id == HospitalPatient.patient_id)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .outerjoin(PhysicianProfile, PhysicianProfile.id == HospitalPatient.assigned_physician_id)
        .outerjoin(HospitalResource, HospitalResource.id == HospitalPatient.bed_resource_id)
    )


def _admitted_query(actor: Actor, search: str) -> Select:
    stmt = _admitted_select().where(CURRENT)
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(_patient_name.ilike(pattern), HospitalPatient.room_number.ilike(pattern)))
    return limit_to_scope(stmt, actor, HospitalPatient.hospital_id).order_by(
        Hospital.name,
        HospitalPatient.hospital_id,
        HospitalResource.name.nulls_last(),
        HospitalPatient.room_number.nulls_last(),
        _patient_name,
        HospitalPatient.id,
    )


def admitted_row(db: Session, admission_id: str) -> AdmittedRow:
    """One admission as the list shows it (the commands return it after their change)."""
    return AdmittedRow(*db.execute(_admitted_select().where(HospitalPatient.id == admission_id)).one())


def _per_day(actor: Actor, column: Any, start: date, end: date) -> Any:
    day = cast(func.timezone("Africa/Lagos", column), Date)
    stmt = (
        select(day.label("day"), func.count().label("n"))
        .where(column >= lagos_midnight(start), column < lagos_midnight(end + timedelta(days=1)))
        .group_by(day)
    )
    return limit_to_scope(stmt, actor, HospitalPatient.hospital_id).subquery()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
