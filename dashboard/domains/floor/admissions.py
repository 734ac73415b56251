"""Admissions (hospital_patients) in the actor's scope: the census, the flow, and admit, discharge and transfer.

A current admission has status "admitted" (or the document's default "active") and no discharge
date. It holds one unit of a bed resource (`bed_resource_id`), or none while the patient waits for
a bed. Admitting, discharging and moving a patient move that resource's counts in the same
transaction, with the resource row locked, so the free-bed figures of Resources & beds stay true
and two administrators cannot both take the last bed.

A patient is in at most one hospital at a time: the partial unique index of migration 0007 allows
one current admission per patient in the whole network, so admit is refused for a patient admitted
anywhere, even at a hospital the actor may not see (and then without naming it). Transfer moves an
admission within its hospital and leaves it the one current admission it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import Date, Float, Select, and_, cast, func, null, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, checked_range, day_series, lagos_midnight
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_in_scope, require_role
from db.base import UserRole
from db.models import Hospital, HospitalPatient, HospitalResource, Profile, User
from db.rules import BED_CATEGORY, CURRENT_ADMISSION_STATUSES, resource_status

ADMISSION_READERS = permissions.readers("admissions")
ADMISSION_WRITERS = permissions.writers("admissions")
CATEGORY_PATIENTS = "patient_management"
# The unique index of migration 0007 (one open admission per patient); its violation, and only its, is a
# patient already admitted.
OPEN_ADMISSION_INDEX = "uq_hospital_patients_open_admission"
WAITING_FOR_BED = "Waiting for a bed"
MAX_ROOM_CHARS = 20
MAX_NOTES_CHARS = 1000
MAX_PATIENT_MATCHES = 50
# A discharge time a little ahead of the server's clock is a clock difference, not the future.
CLOCK_TOLERANCE = timedelta(minutes=5)

PatientProfile = aliased(Profile, name="patient_profile")
PhysicianProfile = aliased(Profile, name="physician_profile")

_current = and_(
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


def _name(profile: Any) -> Any:
    """A person's full name from their profile, NULL when they have none."""
    return func.nullif(func.trim(func.concat_ws(" ", profile.first_name, profile.last_name)), "")


_patient_name = func.coalesce(_name(PatientProfile), User.email)


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


@dataclass(frozen=True)
class PatientChoice:
    user_id: str
    name: str
    email: str
    already_admitted: bool  # currently admitted at a hospital in the actor's scope
    admitted_at_hospital: str | None  # that hospital's name


@dataclass(frozen=True)
class BedChoice:
    resource_id: str
    name: str
    free: int


@permissions.reads("admissions")
def census(db: Session, actor: Actor, *, by_room: bool = True) -> list[WardCensus]:
    """Patients in hospital now, per hospital and ward (and room, unless `by_room` is False).

    Wards are in name order with the waiting-for-bed group last, rooms in order with no room last.
    """
    require_role(db, actor, ADMISSION_READERS, "see the ward census")
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
        .where(_current)
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


@permissions.reads("admissions")
def flow_by_day(db: Session, actor: Actor, *, start: date, end: date) -> list[DayFlow]:
    """Admissions and discharges per Lagos day from `start` to `end` (inclusive); a quiet day is a zero."""
    require_role(db, actor, ADMISSION_READERS, "see admissions")
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


@permissions.reads("admissions")
def stay_figures(db: Session, actor: Actor, *, start: date, end: date) -> StayFigures:
    """Length of stay and bed turnover of the discharges from `start` to `end`, against the period before."""
    require_role(db, actor, ADMISSION_READERS, "see admissions")
    start, end = checked_range(start, end)
    length = end - start + timedelta(days=1)
    previous_start, previous_end = start - length, start - timedelta(days=1)
    this_period = HospitalPatient.discharge_date >= lagos_midnight(start)
    stay_days = (
        cast(func.extract("epoch", HospitalPatient.discharge_date - HospitalPatient.admission_date), Float) / 86400.0
    )
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
    in_hospital = db.scalar(limit_to_scope(select(func.count()).where(_current), actor, HospitalPatient.hospital_id))
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


def list_admitted(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 50
) -> Page[AdmittedRow]:
    """Patients in hospital now, by hospital, ward and room; searched by patient name or room."""
    require_role(db, actor, ADMISSION_READERS, "see admitted patients")
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


def export_admitted(db: Session, actor: Actor, *, search: str = "") -> tuple[list[AdmittedRow], bool]:
    """Every admitted patient the list shows, up to paging.EXPORT_LIMIT, and whether the limit cut it; audited."""
    require_role(db, actor, ADMISSION_READERS, "export admitted patients")
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


def waiting_for_bed(db: Session, actor: Actor) -> list[AdmittedRow]:
    """Patients admitted without a bed, longest waiting first (a short list by nature: it is not paginated)."""
    require_role(db, actor, ADMISSION_READERS, "see patients waiting for a bed")
    stmt = _admitted_select().where(_current, HospitalPatient.bed_resource_id.is_(None))
    stmt = limit_to_scope(stmt, actor, HospitalPatient.hospital_id).order_by(
        HospitalPatient.admission_date, HospitalPatient.id
    )
    rows = db.execute(stmt).all()
    audit.record_read(
        db, actor, action_type="waiting_for_bed_viewed", resource_type="hospital_patient", values={"rows": len(rows)}
    )
    return [AdmittedRow(*r) for r in rows]


def find_patients(db: Session, actor: Actor, text: str, *, limit: int = 20) -> list[PatientChoice]:
    """Patients (any in the network may be admitted) found by name, email, phone or patient number.

    The search is `people.find_patients` (at least 2 characters; shorter finds nobody), with
    where each one is admitted now, at a hospital in the actor's scope.
    """
    require_role(db, actor, ADMISSION_WRITERS, "admit patients")
    found = people.find_patients(db, actor, text, limit=limit, audit_as="patient_search")
    if not found:
        return []
    admitted_at = dict(
        db.execute(
            limit_to_scope(
                select(HospitalPatient.patient_id, func.min(Hospital.name))
                .join(Hospital, Hospital.id == HospitalPatient.hospital_id)
                .where(HospitalPatient.patient_id.in_([p.user_id for p in found]), _current)
                .group_by(HospitalPatient.patient_id),
                actor,
                HospitalPatient.hospital_id,
            )
        ).all()
    )
    return [
        PatientChoice(p.user_id, p.name, p.email, p.user_id in admitted_at, admitted_at.get(p.user_id)) for p in found
    ]


@permissions.reads(ADMISSION_WRITERS)
def physician_choices(db: Session, actor: Actor, hospital_id: str) -> list[tuple[str, str]]:
    """(profile id, "Name — specialization") of the active physicians of a hospital in scope."""
    require_role(db, actor, ADMISSION_WRITERS, "admit patients")
    hospital_in_scope(db, actor, hospital_id)
    name = func.coalesce(_name(Profile), "(no name)")
    stmt = (
        select(Profile.id, name, Profile.specialization)
        .where(Profile.role == UserRole.PHYSICIAN, Profile.hospital_id == hospital_id, Profile.is_active)
        .order_by(name, Profile.id)
    )
    return [(r[0], f"{r[1]} — {r[2]}" if r[2] else r[1]) for r in db.execute(stmt)]


def bed_choices(db: Session, actor: Actor, hospital_id: str) -> list[BedChoice]:
    """The bed wards (bed resources) of a hospital in scope, with how many beds each has free now."""
    require_role(db, actor, ADMISSION_WRITERS, "admit patients")
    hospital_in_scope(db, actor, hospital_id)
    stmt = (
        select(HospitalResource.id, HospitalResource.name, HospitalResource.available_quantity)
        .where(HospitalResource.hospital_id == hospital_id, HospitalResource.category == BED_CATEGORY)
        .order_by(HospitalResource.name, HospitalResource.id)
    )
    return [BedChoice(*r) for r in db.execute(stmt)]


def admit(
    db: Session,
    actor: Actor,
    *,
    hospital_id: str,
    patient_id: str,
    bed_resource_id: str | None = None,
    room_number: str | None = None,
    physician_id: str | None = None,
    notes: str | None = None,
) -> AdmittedRow:
    """Admit a patient to a hospital, taking one free bed of `bed_resource_id` (None: waiting for a bed)."""
    require_role(db, actor, ADMISSION_WRITERS, "admit patients")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    room_number = checked_text(room_number, "The room number", MAX_ROOM_CHARS)
    notes = checked_text(notes, "The notes", MAX_NOTES_CHARS)
    patient_name = _lock_patient(db, patient_id)
    _refuse_if_admitted(db, actor, patient_id, patient_name, hospital_id, hospital_name)
    if physician_id is not None:
        _require_physician_of(db, physician_id, hospital_id, hospital_name)
    bed = None
    if bed_resource_id is not None:
        bed = _lock_beds(db, [bed_resource_id], hospital_id, hospital_name)[bed_resource_id]
    admission = HospitalPatient(
        hospital_id=hospital_id,
        patient_id=patient_id,
        assigned_physician_id=physician_id,
        bed_resource_id=bed_resource_id,
        status="admitted",
        room_number=room_number,
        notes=notes,
    )
    # The bed is taken and the admission written in one savepoint: a refusal in it undoes both.
    try:
        with db.begin_nested():
            if bed is not None:
                _take_bed(
                    bed,
                    hospital_name,
                    "Pick another ward or add the patient to the waiting-for-bed list by admitting without a bed.",
                )
            db.add(admission)
            db.flush()
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) != OPEN_ADMISSION_INDEX:
            raise
        # Admitted by someone else since the check above, or at a hospital this actor may not see.
        _refuse_if_admitted(db, actor, patient_id, patient_name, hospital_id, hospital_name)
        _refuse_admitted_elsewhere(patient_name)
    audit.record(
        db,
        actor,
        action_category=CATEGORY_PATIENTS,
        action_type="patient_admitted",
        resource_type="hospital_patient",
        resource_id=admission.id,
        new_values={
            "patient_id": patient_id,
            "status": "admitted",
            "bed_resource_id": bed_resource_id,
            "ward": bed.name if bed else WAITING_FOR_BED,
            "beds_free_after": bed.available_quantity if bed else None,
            "room_number": room_number,
            "assigned_physician_id": physician_id,
        },
        concerns_hospital=hospital_id,
    )
    return _admitted_row(db, admission.id)


def discharge(db: Session, actor: Actor, admission_id: str, *, discharged_at: datetime | None = None) -> AdmittedRow:
    """Discharge a patient (now, or at `discharged_at`; a naive time is Lagos time) and give their bed back."""
    require_role(db, actor, ADMISSION_WRITERS, "discharge patients")
    admission = _lock_admission(db, actor, admission_id)
    patient_name = _patient_name_of(db, admission.patient_id)
    _require_current(admission, patient_name)
    now = datetime.now(UTC)
    when = now if discharged_at is None else _moment(discharged_at)
    if when > now + CLOCK_TOLERANCE:
        raise InvalidInput("The discharge time cannot be in the future: enter when the patient left.")
    if when < admission.admission_date:
        raise InvalidInput(
            f"The discharge time cannot be before the admission ({_moment_text(admission.admission_date)}). "
            "Check the date and time."
        )
    bed = None
    if admission.bed_resource_id is not None:
        hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == admission.hospital_id))
        bed = _lock_beds(db, [admission.bed_resource_id], admission.hospital_id, hospital_name)[
            admission.bed_resource_id
        ]
        _give_back_bed(bed)
    old_values = {"status": admission.status, "discharge_date": None}
    admission.status = "discharged"
    admission.discharge_date = when
    db.flush()
    audit.record(
        db,
        actor,
        action_category=CATEGORY_PATIENTS,
        action_type="patient_discharged",
        resource_type="hospital_patient",
        resource_id=admission.id,
        old_values=old_values,
        new_values={
            "status": "discharged",
            "discharge_date": when,
            "patient_id": admission.patient_id,
            "bed_resource_id": admission.bed_resource_id,
            "beds_free_after": bed.available_quantity if bed else None,
        },
        concerns_hospital=admission.hospital_id,
    )
    return _admitted_row(db, admission.id)


def transfer(
    db: Session, actor: Actor, admission_id: str, *, bed_resource_id: str, room_number: str | None
) -> AdmittedRow:
    """Move a patient to another ward (bed resource) or room of the same hospital; gives a waiting patient a bed.

    The bed held moves with the patient: one is given back to the old ward, one taken in the new.
    """
    require_role(db, actor, ADMISSION_WRITERS, "move patients between wards")
    admission = _lock_admission(db, actor, admission_id)
    patient_name = _patient_name_of(db, admission.patient_id)
    _require_current(admission, patient_name)
    if not bed_resource_id:
        raise InvalidInput(f"Pick the ward to move {patient_name} to.")
    room_number = checked_text(room_number, "The room number", MAX_ROOM_CHARS)
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == admission.hospital_id)) or ""
    old_bed_id = admission.bed_resource_id
    # Both wards are locked in id order, so two moves between the same wards cannot deadlock.
    wards = sorted({bed_resource_id, old_bed_id} - {None})
    beds = _lock_beds(db, wards, admission.hospital_id, hospital_name)
    new_bed = beds[bed_resource_id]
    old_bed = beds[old_bed_id] if old_bed_id is not None else None
    if bed_resource_id == old_bed_id and room_number == admission.room_number:
        raise InvalidInput(
            f"{patient_name} is already in {_where(new_bed.name, room_number)}: pick another ward or room."
        )
    old_values = {
        "bed_resource_id": old_bed_id,
        "ward": old_bed.name if old_bed else WAITING_FOR_BED,
        "room_number": admission.room_number,
    }
    if old_bed is not new_bed:
        _take_bed(new_bed, hospital_name, "Pick another ward, or leave the patient where they are for now.")
        if old_bed is not None:
            _give_back_bed(old_bed)
    admission.bed_resource_id = bed_resource_id
    admission.room_number = room_number
    db.flush()
    audit.record(
        db,
        actor,
        action_category=CATEGORY_PATIENTS,
        action_type="patient_moved",
        resource_type="hospital_patient",
        resource_id=admission.id,
        old_values=old_values,
        new_values={
            "bed_resource_id": bed_resource_id,
            "ward": new_bed.name,
            "room_number": room_number,
            "patient_id": admission.patient_id,
        },
        concerns_hospital=admission.hospital_id,
    )
    return _admitted_row(db, admission.id)


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
            _name(PhysicianProfile),
            HospitalPatient.admission_date,
            _days_so_far,
            HospitalPatient.notes,
            HospitalPatient.status,
            HospitalPatient.discharge_date,
        )
        .join(Hospital, Hospital.id == HospitalPatient.hospital_id)
        .join(User, User.id == HospitalPatient.patient_id)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .outerjoin(PhysicianProfile, PhysicianProfile.id == HospitalPatient.assigned_physician_id)
        .outerjoin(HospitalResource, HospitalResource.id == HospitalPatient.bed_resource_id)
    )


def _admitted_query(actor: Actor, search: str) -> Select:
    stmt = _admitted_select().where(_current)
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


def _admitted_row(db: Session, admission_id: str) -> AdmittedRow:
    return AdmittedRow(*db.execute(_admitted_select().where(HospitalPatient.id == admission_id)).one())


def _per_day(actor: Actor, column: Any, start: date, end: date) -> Any:
    day = cast(func.timezone("Africa/Lagos", column), Date)
    stmt = (
        select(day.label("day"), func.count().label("n"))
        .where(column >= lagos_midnight(start), column < lagos_midnight(end + timedelta(days=1)))
        .group_by(day)
    )
    return limit_to_scope(stmt, actor, HospitalPatient.hospital_id).subquery()


def _moment(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput("Enter the discharge date and time.")
    return value.replace(tzinfo=LAGOS) if value.tzinfo is None else value


def _day(moment: datetime) -> str:
    local = moment.astimezone(LAGOS)
    return f"{local.day} {local:%b %Y}"


def _moment_text(moment: datetime) -> str:
    local = moment.astimezone(LAGOS)
    return f"{local.day} {local:%b %Y %H:%M}"


def _where(ward: str | None, room: str | None) -> str:
    if ward is None:
        return "waiting for a bed"
    return f"{ward}, room {room}" if room else ward


def _lock_patient(db: Session, patient_id: str) -> str:
    """The patient's name, with their user row locked so two admissions of one patient cannot cross."""
    row = None
    if usable_id(patient_id):
        # FOR NO KEY UPDATE: serialises admissions of this patient without blocking rows that refer to them.
        row = db.execute(
            select(_name(Profile), User.email, Profile.role)
            .select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.id == patient_id)
            .with_for_update(of=User, key_share=True)
        ).first()
    if row is None:
        raise NotFound("That patient no longer exists. Search for them again.")
    if row[2] is not UserRole.PATIENT:
        raise InvalidInput(f"{row[0] or row[1]} is not registered as a patient: pick a patient account.")
    return row[0] or row[1]


def _refuse_if_admitted(
    db: Session, actor: Actor, patient_id: str, patient_name: str, hospital_id: str, hospital_name: str
) -> None:
    """Refuse to admit a patient who has an open admission the actor may see (at this hospital first).

    The friendly check; the index of migration 0007 stands behind it for the admissions the actor may not see.
    """
    existing = db.execute(
        limit_to_scope(
            select(
                HospitalPatient.hospital_id,
                HospitalPatient.admission_date,
                HospitalResource.name,
                HospitalPatient.room_number,
            )
            .outerjoin(HospitalResource, HospitalResource.id == HospitalPatient.bed_resource_id)
            .where(HospitalPatient.patient_id == patient_id, _current),
            actor,
            HospitalPatient.hospital_id,
        ).order_by(HospitalPatient.hospital_id != hospital_id, HospitalPatient.admission_date)
    ).first()
    if existing is None:
        return
    if existing[0] != hospital_id:
        _refuse_admitted_elsewhere(patient_name)
    raise InvalidInput(
        f"{patient_name} is already admitted at {hospital_name} ({_where(existing[2], existing[3])}) since "
        f"{_day(existing[1])}. Move or discharge that admission instead."
    )


def _refuse_admitted_elsewhere(patient_name: str) -> NoReturn:
    # Not named: a hospital's administrator may not see another hospital's admissions.
    raise InvalidInput(
        f"{patient_name} is already admitted at another hospital; they must be discharged or transferred there first."
    )


def _patient_name_of(db: Session, patient_id: str) -> str:
    return db.scalar(
        select(func.coalesce(_name(Profile), User.email))
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id == patient_id)
    )


def _require_physician_of(db: Session, physician_id: str, hospital_id: str, hospital_name: str) -> None:
    found = usable_id(physician_id) and db.scalar(
        select(Profile.id).where(
            Profile.id == physician_id, Profile.role == UserRole.PHYSICIAN, Profile.hospital_id == hospital_id
        )
    )
    if not found:
        raise InvalidInput(f"That doctor is not a physician of {hospital_name}: pick one of its physicians.")


def _lock_admission(db: Session, actor: Actor, admission_id: str) -> HospitalPatient:
    admission = None
    if usable_id(admission_id):
        admission = db.scalar(select(HospitalPatient).where(HospitalPatient.id == admission_id).with_for_update())
    if admission is None:
        raise NotFound("That admission no longer exists.")
    require_in_scope(
        db, actor, resource_type="hospital_patient", resource_id=admission.id, row_hospital_id=admission.hospital_id
    )
    return admission


def _require_current(admission: HospitalPatient, patient_name: str) -> None:
    if admission.status in CURRENT_ADMISSION_STATUSES and admission.discharge_date is None:
        return
    left = "transferred to another hospital" if admission.status == "transferred" else "discharged"
    when = f" on {_day(admission.discharge_date)}" if admission.discharge_date else ""
    raise InvalidInput(f"{patient_name} was already {left}{when}: this admission is closed.")


def _lock_beds(
    db: Session, resource_ids: list[str], hospital_id: str, hospital_name: str
) -> dict[str, HospitalResource]:
    """Bed resources of one hospital, locked in id order for the caller's change of their counts."""
    if not all(usable_id(i) for i in resource_ids):
        raise InvalidInput(f"That is not a bed ward of {hospital_name}: pick one of its wards.")
    beds = {
        bed.id: bed
        for bed in db.scalars(
            select(HospitalResource)
            .where(HospitalResource.id.in_(resource_ids))
            .order_by(HospitalResource.id)
            .with_for_update()
        )
    }
    for resource_id in resource_ids:
        bed = beds.get(resource_id)
        if bed is None or bed.hospital_id != hospital_id or bed.category != BED_CATEGORY:
            raise InvalidInput(f"That is not a bed ward of {hospital_name}: pick one of its wards.")
    return beds


def _take_bed(bed: HospitalResource, hospital_name: str, what_next: str) -> None:
    if bed.available_quantity < 1:
        raise InvalidInput(f"No {bed.name} are free at {hospital_name}. {what_next}")
    bed.available_quantity -= 1
    bed.in_use_quantity += 1
    bed.status = resource_status(bed.total_quantity, bed.available_quantity, bed.maintenance_quantity)


def _give_back_bed(bed: HospitalResource) -> None:
    # in_use cannot be below the beds admissions hold (resources.update_quantities refuses it), so
    # this holds; if a client outside the dashboard broke it, the counts are left alone, not made negative.
    if bed.in_use_quantity < 1:
        return
    bed.in_use_quantity -= 1
    bed.available_quantity += 1
    bed.status = resource_status(bed.total_quantity, bed.available_quantity, bed.maintenance_quantity)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
