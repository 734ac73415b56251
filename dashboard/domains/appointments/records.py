"""An appointment as every read and command returns it (`AppointmentRow`), and the SQL that names its people.

The list, the export and each command's answer are the same row, read by `select_rows`; the people in
it are named through `people.name_or`, a patient with no name by their email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Select, cast, func, select
from sqlalchemy.orm import Session, aliased

from dashboard.platform import people, permissions
from dashboard.platform.dates import lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.inputs import usable_id
from db.base import UserRole
from db.models import Appointment, Hospital, Notification, Profile, User

READERS = permissions.readers("appointments")
WRITERS = permissions.writers("appointments")
AUDIT_CATEGORY = "patient_management"
RESOURCE_TYPE = "appointment"

PatientProfile = aliased(Profile, name="patient_profile")
PhysicianProfile = aliased(Profile, name="physician_profile")
patient_name = people.name_or(User.email, PatientProfile)
physician_name = people.name_or("(no name)", PhysicianProfile)
lagos_day = cast(func.timezone("Africa/Lagos", Appointment.appointment_date), Date)
not_cancelled = Appointment.status != "cancelled"


@dataclass(frozen=True)
class AppointmentRow:
    appointment_id: str
    hospital_id: str | None
    hospital_name: str | None  # None for an appointment a client booked with no hospital
    patient_id: str
    patient_name: str  # full name, or the email of a patient with no name on file
    patient_email: str
    physician_id: str
    physician_name: str
    day: date  # Africa/Lagos
    time: str  # "HH:MM", Lagos wall-clock time
    appointment_type: str  # one of APPOINTMENT_TYPES (words.TYPE_LABELS has the words)
    consultation_type: str  # "in_person" or "virtual"
    virtual: bool
    status: str  # one of APPOINTMENT_STATUSES (words.STATUS_LABELS has the words)
    notes: str | None
    booked_at: datetime
    hospital_number: str | None = None  # the patient's number at this hospital (migration 0016)


def select_rows() -> Select:
    """The statement of `AppointmentRow`s, joined to the patient, the physician and the hospital."""
    return (
        select(
            Appointment.id,
            Appointment.hospital_id,
            Hospital.name,
            Appointment.patient_id,
            patient_name,
            User.email,
            Appointment.physician_id,
            physician_name,
            lagos_day,
            Appointment.appointment_time,
            Appointment.appointment_type,
            Appointment.consultation_type,
            Appointment.consultation_type == "virtual",
            Appointment.status,
            Appointment.notes,
            Appointment.created_at,
            people.hospital_number(Appointment.hospital_id, Appointment.patient_id),
        )
        .join(User, User.id == Appointment.patient_id)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .join(PhysicianProfile, PhysicianProfile.id == Appointment.physician_id)
        .outerjoin(Hospital, Hospital.id == Appointment.hospital_id)
    )


def row(db: Session, appointment_id: str) -> AppointmentRow:
    return AppointmentRow(*db.execute(select_rows().where(Appointment.id == appointment_id)).one())


def dated_within(start: date, end: date) -> tuple[Any, Any]:
    # A range on the column itself (not on its Lagos date), so the (hospital_id, appointment_date) index serves it.
    return (
        Appointment.appointment_date >= lagos_midnight(start),
        Appointment.appointment_date < lagos_midnight(end + timedelta(days=1)),
    )


def doctor(physician: Profile) -> str:
    """The physician as sentences name them ("Dr. Ada Obi"), or "The physician" with no name on file."""
    name = " ".join(p for p in (physician.first_name, physician.last_name) if p and p.strip())
    return f"Dr. {name}" if name else "The physician"


def doctor_of(db: Session, physician_id: str) -> str:
    physician = db.get(Profile, physician_id)
    return doctor(physician) if physician is not None else "The physician"


def physician_of(db: Session, physician_id: str, hospital_id: str | None, hospital_name: str) -> Profile:
    """The hospital's active physician `physician_id`, or a refusal naming the hospital."""
    physician = None
    if usable_id(physician_id):
        physician = db.scalar(select(Profile).where(Profile.id == physician_id, Profile.role == UserRole.PHYSICIAN))
    # A physician of another hospital is not named: their name is that hospital's business.
    if physician is None or hospital_id is None or physician.hospital_id != hospital_id:
        raise InvalidInput(f"That doctor is not a physician of {hospital_name}. Pick one of its physicians.")
    if not physician.is_active:
        raise InvalidInput(f"{doctor(physician)} is no longer active at {hospital_name}. Pick another physician.")
    return physician


def notify(db: Session, user_id: str, kind: str, title: str, message: str) -> None:
    """Tell the patient, in the same transaction as the change (the platform's apps deliver it)."""
    db.add(Notification(user_id=user_id, type=kind, title=title, message=message))
