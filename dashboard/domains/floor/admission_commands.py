"""Admit, discharge and transfer: each moves the bed counts in the same transaction as the admission.

Admitting takes a unit of a bed resource, discharging gives it back, a transfer moves it, with the
resource row locked, so the free-bed figures of Resources & beds stay true and two administrators
cannot both take the last bed.

At a hospital that runs the bed board (`bed_commands`), a patient takes a bed there instead: the
one picked on the board or the form, else the first free bed of the ward; discharge puts it into
cleaning and a transfer moves the patient to another bed (the old one to cleaning). The database then
sets the ward's counts from its beds (migration 0015), so they are never moved by hand here.

A patient is in at most one hospital at a time: the partial unique index of migration 0007 allows
one current admission per patient in the whole network, so admit is refused for a patient admitted
anywhere, even at a hospital the actor may not see (and then without naming it). Transfer moves an
admission within its hospital and leaves it the one current admission it was.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.floor import bed_commands
from dashboard.domains.floor.admission_queries import CURRENT, WAITING_FOR_BED, AdmittedRow, admitted_row
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_in_scope, require_role
from db.base import UserRole
from db.models import Hospital, HospitalPatient, HospitalResource, Profile, User
from db.rules import BED_CATEGORY, CURRENT_ADMISSION_STATUSES, resource_status

ADMISSION_WRITERS = permissions.writers("admissions")
CATEGORY_PATIENTS = "patient_management"
# The unique index of migration 0007 (one open admission per patient); its violation, and only its, is a
# patient already admitted.
OPEN_ADMISSION_INDEX = "uq_hospital_patients_open_admission"
MAX_ROOM_CHARS = 20
MAX_NOTES_CHARS = 1000
# A discharge time a little ahead of the server's clock is a clock difference, not the future.
CLOCK_TOLERANCE = timedelta(minutes=5)

_audit = audit.Recorder(CATEGORY_PATIENTS, "hospital_patient")


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
    bed_id: str | None = None,
) -> AdmittedRow:
    """Admit a patient to a hospital, taking one free bed of `bed_resource_id` (None: waiting for a bed).

    On the bed board, `bed_id` names the bed (its ward follows from it); without it the first free bed is taken.
    """
    require_role(db, actor, ADMISSION_WRITERS, "admit patients")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    room_number = checked_text(room_number, "The room number", MAX_ROOM_CHARS)
    notes = checked_text(notes, "The notes", MAX_NOTES_CHARS)
    patient_name = _lock_patient(db, patient_id)
    _refuse_if_admitted(db, actor, patient_id, patient_name, hospital_id, hospital_name)
    if physician_id is not None:
        _require_physician_of(db, physician_id, hospital_id, hospital_name)
    if bed_id is not None:
        bed_resource_id = bed_commands.resource_of(db, bed_id, hospital_id, hospital_name)
    bed = board_bed = None
    if bed_resource_id is not None:
        bed = _lock_beds(db, [bed_resource_id], hospital_id, hospital_name)[bed_resource_id]
    on_board = bed is not None and bed_commands.on_board(db, bed.id)
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
            no_bed = "Pick another ward or add the patient to the waiting-for-bed list by admitting without a bed."
            if bed is not None and not on_board:
                _take_bed(bed, hospital_name, no_bed)
            db.add(admission)
            db.flush()
            if on_board:
                board_bed = bed_commands.seat(db, bed, hospital_name, admission.id, bed_id, no_bed)
                db.refresh(bed)  # the database recounted the ward's beds
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) != OPEN_ADMISSION_INDEX:
            raise
        # Admitted by someone else since the check above, or at a hospital this actor may not see.
        _refuse_if_admitted(db, actor, patient_id, patient_name, hospital_id, hospital_name)
        _refuse_admitted_elsewhere(patient_name)
    _audit(db, actor, "patient_admitted", admission.id, hospital=hospital_id, new={
        "patient_id": patient_id,
        "status": "admitted",
        "bed_resource_id": bed_resource_id,
        "ward": bed.name if bed else WAITING_FOR_BED,
        "beds_free_after": bed.available_quantity if bed else None,
        "bed": f"{board_bed.ward}, bed {board_bed.label}" if board_bed else None,
        "room_number": room_number,
        "assigned_physician_id": physician_id,
    })  # fmt: skip
    return admitted_row(db, admission.id)


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
        if bed_commands.on_board(db, bed.id):
            bed_commands.vacate(db, admission.id)  # to cleaning; the database recounts the ward
            db.refresh(bed)
        else:
            _give_back_bed(bed)
    old_values = {"status": admission.status, "discharge_date": None}
    admission.status = "discharged"
    admission.discharge_date = when
    db.flush()
    _audit(db, actor, "patient_discharged", admission.id, old=old_values, hospital=admission.hospital_id, new={
        "status": "discharged",
        "discharge_date": when,
        "patient_id": admission.patient_id,
        "bed_resource_id": admission.bed_resource_id,
        "beds_free_after": bed.available_quantity if bed else None,
    })  # fmt: skip
    return admitted_row(db, admission.id)


def transfer(
    db: Session,
    actor: Actor,
    admission_id: str,
    *,
    bed_resource_id: str | None = None,
    room_number: str | None,
    bed_id: str | None = None,
) -> AdmittedRow:
    """Move a patient to another ward (bed resource) or room of the same hospital; gives a waiting patient a bed.

    The bed held moves with the patient: one is given back to the old ward, one taken in the new. On the
    bed board, `bed_id` names the new bed (its ward follows from it), and the old bed goes to cleaning.
    """
    require_role(db, actor, ADMISSION_WRITERS, "move patients between wards")
    admission = _lock_admission(db, actor, admission_id)
    patient_name = _patient_name_of(db, admission.patient_id)
    _require_current(admission, patient_name)
    if not bed_resource_id and not bed_id:
        raise InvalidInput(f"Pick the ward to move {patient_name} to.")
    room_number = checked_text(room_number, "The room number", MAX_ROOM_CHARS)
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == admission.hospital_id)) or ""
    if bed_id is not None:
        bed_resource_id = bed_commands.resource_of(db, bed_id, admission.hospital_id, hospital_name)
    old_bed_id = admission.bed_resource_id
    # Both wards are locked in id order, so two moves between the same wards cannot deadlock.
    wards = sorted({bed_resource_id, old_bed_id} - {None})
    beds = _lock_beds(db, wards, admission.hospital_id, hospital_name)
    new_bed = beds[bed_resource_id]
    old_bed = beds[old_bed_id] if old_bed_id is not None else None
    new_board = bed_commands.on_board(db, new_bed.id)
    old_board = old_bed is not None and bed_commands.on_board(db, old_bed.id)
    held = bed_commands.held_by(db, admission.id) if old_board else None
    # On the board a patient changes bed when a new one is named, or when they hold none in the new ward.
    change_bed = old_bed is not new_bed or (new_board and (held is None or bed_id not in (None, held)))
    if not change_bed and room_number == admission.room_number:
        raise InvalidInput(
            f"{patient_name} is already in {_where(new_bed.name, room_number)}: pick another ward, bed or room."
        )
    old_values = {
        "bed_resource_id": old_bed_id,
        "ward": old_bed.name if old_bed else WAITING_FOR_BED,
        "room_number": admission.room_number,
    }
    if change_bed:
        # The new bed is found (or refused) before anything changes; the old one is given up before the new one
        # is taken, since an admission holds one board bed at a time.
        stay = "Pick another ward, or leave the patient where they are for now."
        board_bed = bed_commands.pick(db, new_bed, hospital_name, bed_id, stay) if new_board else None
        if not new_board and old_bed is not new_bed:
            _take_bed(new_bed, hospital_name, stay)
        if old_board:
            bed_commands.vacate(db, admission.id)  # to cleaning
        elif old_bed is not None and old_bed is not new_bed:
            _give_back_bed(old_bed)
        if board_bed is not None:
            bed_commands.occupy(db, board_bed, admission.id)
    admission.bed_resource_id = bed_resource_id
    admission.room_number = room_number
    db.flush()
    _audit(db, actor, "patient_moved", admission.id, old=old_values, hospital=admission.hospital_id, new={
        "bed_resource_id": bed_resource_id,
        "ward": new_bed.name,
        "room_number": room_number,
        "patient_id": admission.patient_id,
    })  # fmt: skip
    return admitted_row(db, admission.id)


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
            select(people.full_name(), User.email, Profile.role)
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
            .where(HospitalPatient.patient_id == patient_id, CURRENT),
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
        select(people.name_or(User.email))
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
    # in_use cannot be below the beds admissions hold (resource_commands.update_quantities refuses it), so
    # this holds; if a client outside the dashboard broke it, the counts are left alone, not made negative.
    if bed.in_use_quantity < 1:
        return
    bed.in_use_quantity -= 1
    bed.available_quantity += 1
    bed.status = resource_status(bed.total_quantity, bed.available_quantity, bed.maintenance_quantity)
