"""Two clinics for the appointments service: physicians active and inactive, patients, and a booking history.

Hospital A has two active physicians (Ada Obi, Bola Ade) and one who left (Kunle Ojo); hospital B
has one active (Hauwa Sani) and one who left (Musa Bello). The history lies in March and April 2013,
a period no other test writes, so network-wide figures over it hold these rows only; every figure
the tests expect is worked out by hand in HISTORY's comments. Built inside the test's rolled-back
transaction (`db_session`), except `committed_clinic`, which the concurrency tests need on two
connections and which deletes what it and the bookings made.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from dashboard.platform.actors import Actor, ClientInfo
from db.base import UserRole
from db.models import Appointment, ConsultationRoom, ConsultationSession, Hospital, Notification, User
from tests.floor_rows import add_person

LAGOS_NAME = "Africa/Lagos"
HOSPITAL_A = "Adaeze Teaching Hospital"
HOSPITAL_B = "Birnin Kebbi Specialist Hospital"

ACTOR_SPECS = {
    "admin": (UserRole.ADMIN, None),
    "ha_a": (UserRole.HOSPITAL_ADMIN, "a"),
    "ha_b": (UserRole.HOSPITAL_ADMIN, "b"),
    "exec_a": (UserRole.EXECUTIVE, "a"),
    "comp_a": (UserRole.COMPLIANCE_OFFICER, "a"),
}
# label: (role, hospital, first name, last name, profile fields)
PEOPLE = {
    "dr_ada": (UserRole.PHYSICIAN, "a", "Ada", "Obi", {"specialization": "Cardiology", "consultation_rate": 15000}),
    "dr_bola": (UserRole.PHYSICIAN, "a", "Bola", "Ade", {"specialization": "Paediatrics"}),
    "dr_kunle": (UserRole.PHYSICIAN, "a", "Kunle", "Ojo", {"specialization": "Surgery", "is_active": False}),
    "dr_hauwa": (UserRole.PHYSICIAN, "b", "Hauwa", "Sani", {"specialization": "Surgery"}),
    "dr_musa": (UserRole.PHYSICIAN, "b", "Musa", "Bello", {"is_active": False}),
    "amaka": (UserRole.PATIENT, None, "Amaka", "Eze", {}),
    "tunde": (UserRole.PATIENT, None, "Tunde", "Bakare", {}),
    "ngozi": (UserRole.PATIENT, None, "Ngozi", "Okeke", {}),
    "fatima": (UserRole.PATIENT, None, "Fatima", "Yusuf", {}),
    "gone": (UserRole.PATIENT, None, "Closed", "Account", {"is_active": False}),
    "agent": (UserRole.AGENT, None, "Kemi", "Agent", {}),
}

# label: (hospital, day, time, physician, patient, status, consultation type, notes)
HISTORY = {
    # Hospital A, March 2013: 5 appointments; 1 cancelled, 3 completed, 1 no-show.
    "a1": ("a", date(2013, 3, 3), "09:00", "dr_ada", "amaka", "completed", "in_person", "Bring previous lab results"),
    "a2": ("a", date(2013, 3, 3), "09:30", "dr_ada", "tunde", "no_show", "in_person", None),
    "a3": ("a", date(2013, 3, 3), "10:00", "dr_bola", "ngozi", "cancelled", "virtual", None),
    "a4": ("a", date(2013, 3, 5), "11:00", "dr_ada", "ngozi", "completed", "virtual", None),
    "a5": ("a", date(2013, 3, 5), "11:00", "dr_bola", "amaka", "completed", "in_person", None),
    # Hospital A, April 2013: 3 appointments; 1 cancelled, 2 completed (one with the physician who left since).
    # 00:30 on 1 April in Lagos is 23:30 UTC on 31 March: the Lagos day counts, so this is April's.
    "a8": ("a", date(2013, 4, 1), "00:30", "dr_bola", "tunde", "completed", "in_person", None),
    "a6": ("a", date(2013, 4, 1), "08:00", "dr_ada", "tunde", "cancelled", "in_person", None),
    "a7": ("a", date(2013, 4, 2), "08:00", "dr_kunle", "amaka", "completed", "in_person", None),
    # Hospital B: March 1 completed and 1 no-show (virtual), April 1 still pending.
    "b1": ("b", date(2013, 3, 3), "09:00", "dr_hauwa", "fatima", "completed", "in_person", None),
    "b2": ("b", date(2013, 3, 4), "14:00", "dr_hauwa", "fatima", "no_show", "virtual", None),
    "b3": ("b", date(2013, 4, 10), "10:00", "dr_hauwa", "amaka", "pending", "in_person", None),
}
HISTORY_START, HISTORY_END = date(2013, 3, 1), date(2013, 4, 30)


@dataclass
class Clinic:
    hospital_a: str
    hospital_b: str
    users: dict[str, str]  # label -> user id
    profiles: dict[str, str]  # label -> profile id (physicians are referred to by profile)
    appointments: dict[str, str] = field(default_factory=dict)  # label -> appointments.id

    def hospital(self, where: str | None) -> str | None:
        return {"a": self.hospital_a, "b": self.hospital_b, None: None}[where]

    def actor(self, label: str) -> Actor:
        role, where = ACTOR_SPECS[label]
        return Actor(
            self.users[label], role, self.hospital(where), ClientInfo(session_id=f"appt-{secrets.token_hex(4)}")
        )

    def physician(self, label: str) -> str:
        return self.profiles[label]

    def patient(self, label: str) -> str:
        return self.users[label]


def lagos_moment(day: date, hhmm: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(int(hhmm[:2]), int(hhmm[3:])), tzinfo=ZoneInfo(LAGOS_NAME))


def add_appointment(
    db: Session,
    clinic: Clinic,
    where: str,
    day: date,
    hhmm: str,
    physician: str,
    patient: str,
    *,
    status: str = "pending",
    consultation_type: str = "in_person",
    notes: str | None = None,
    with_session: bool = False,
) -> str:
    """An appointment written directly (no service checks), as another client of the platform would."""
    appointment = Appointment(
        patient_id=clinic.patient(patient),
        physician_id=clinic.physician(physician),
        hospital_id=clinic.hospital(where),
        appointment_date=lagos_moment(day, hhmm),
        appointment_time=hhmm,
        status=status,
        consultation_type=consultation_type,
        notes=notes,
    )
    db.add(appointment)
    db.flush()
    if with_session:
        session = ConsultationSession(
            appointment_id=appointment.id, patient_id=appointment.patient_id, physician_id=appointment.physician_id
        )
        db.add(session)
        db.flush()
        db.add(ConsultationRoom(session_id=session.id, room_token=secrets.token_urlsafe(32)))
        db.flush()
    return appointment.id


def build_clinic(db: Session) -> Clinic:
    a = Hospital(name=HOSPITAL_A, city="Enugu", state="Enugu", latitude=6.4584, longitude=7.5464)
    b = Hospital(name=HOSPITAL_B, city="Birnin Kebbi", state="Kebbi", latitude=12.4539, longitude=4.1975)
    db.add_all([a, b])
    db.flush()
    clinic = Clinic(a.id, b.id, {}, {})
    people = {
        **{label: (role, where, label.title(), "Staff", {}) for label, (role, where) in ACTOR_SPECS.items()},
        **PEOPLE,
    }
    for label, (role, where, first, last, extra) in people.items():
        clinic.users[label], clinic.profiles[label] = add_person(
            db, label, role, clinic.hospital(where), first, last, **extra
        )
    for label, (where, day, hhmm, physician, patient, status, kind, notes) in HISTORY.items():
        clinic.appointments[label] = add_appointment(
            db, clinic, where, day, hhmm, physician, patient, status=status, consultation_type=kind, notes=notes
        )
    return clinic


@pytest.fixture
def clinic(db_session) -> Clinic:
    return build_clinic(db_session)


@dataclass
class CommittedClinic:
    hospital_id: str
    physician_id: str
    patients: list[str]
    users: list[str]


@contextmanager
def committed_clinic(engine: Engine, *, patients: int = 2) -> Iterator[CommittedClinic]:
    """A committed hospital with one active physician and `patients` patients; all of it (and its bookings,
    sessions, rooms and notifications) deleted afterwards. Audit rows stay, as they must."""
    with Session(engine) as db, db.begin():
        hospital = Hospital(name=f"Race Test Hospital {secrets.token_hex(3)}", city="Jos", state="Plateau")
        db.add(hospital)
        db.flush()
        physician_user, physician_id = add_person(
            db, "race.doctor", UserRole.PHYSICIAN, hospital.id, "Ada", "Obi", specialization="Cardiology"
        )
        patient_ids = [
            add_person(db, f"race{i}", UserRole.PATIENT, None, "Race", f"Patient {i}")[0] for i in range(patients)
        ]
        made = CommittedClinic(hospital.id, physician_id, patient_ids, [physician_user, *patient_ids])
    try:
        yield made
    finally:
        with Session(engine) as db, db.begin():
            appointment_ids = select(Appointment.id).where(Appointment.hospital_id == made.hospital_id)
            session_ids = select(ConsultationSession.id).where(ConsultationSession.appointment_id.in_(appointment_ids))
            db.execute(delete(ConsultationRoom).where(ConsultationRoom.session_id.in_(session_ids)))
            db.execute(delete(ConsultationSession).where(ConsultationSession.appointment_id.in_(appointment_ids)))
            db.execute(delete(Appointment).where(Appointment.hospital_id == made.hospital_id))
            db.execute(delete(Notification).where(Notification.user_id.in_(made.users)))
            db.execute(delete(User).where(User.id.in_(made.users)))  # profiles go with them (cascade)
            db.execute(delete(Hospital).where(Hospital.id == made.hospital_id))
