"""A hospital floor for the resources and admissions services: two hospitals, their staff, beds and patients.

Hospital A has every kind of bed, some equipment and supplies, three patients in hospital (one in a
general ward bed, one in ICU, one waiting for a bed) and one discharged; hospital B has beds and a
patient of its own, so every scoped read has something of B to leak and every command something of B
to refuse. Built inside the test's rolled-back transaction (`db_session`), except `committed_ward`,
which the concurrency tests need on two connections and which deletes what it committed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from dashboard.platform.actors import Actor, ClientInfo
from db.base import UserRole
from db.models import Hospital, HospitalPatient, HospitalResource, Profile, User
from db.rules import resource_status

HOSPITAL_A = "Adeyemi Memorial Hospital"
HOSPITAL_B = "Bello Specialist Hospital"
NOW = datetime.now(UTC)  # the module's notion of "now"; the database clock is within seconds of it

# label: (hospital, name, category, total, available, in_use, maintenance, hours since the count)
RESOURCES = {
    "a_general": ("a", "General ward beds", "beds", 10, 5, 4, 1, 2),
    "a_icu": ("a", "ICU beds", "beds", 4, 1, 3, 0, 30),  # stale: counted 30 hours ago
    "a_maternity": ("a", "Maternity beds", "beds", 6, 2, 4, 0, 1),
    "a_paediatric": ("a", "Paediatric beds", "beds", 4, 0, 4, 0, 1),
    "a_isolation": ("a", "Isolation beds", "beds", 2, 2, 0, 0, 1),
    "a_ventilators": ("a", "Ventilators", "equipment", 5, 0, 4, 1, 3),
    "a_oxygen": ("a", "Oxygen cylinders", "supplies", 25, 3, 22, 0, 3),  # 12 % free: between the alert levels
    "b_general": ("b", "General ward beds", "beds", 20, 10, 10, 0, 1),
    "b_icu": ("b", "ICU beds", "beds", 2, 2, 0, 0, 1),
}


@dataclass
class Floor:
    hospital_a: str
    hospital_b: str
    users: dict[str, str]  # label -> user id
    profiles: dict[str, str]  # label -> profile id (physicians are referred to by profile)
    resources: dict[str, str]  # label -> hospital_resources.id
    admissions: dict[str, str] = field(default_factory=dict)  # label -> hospital_patients.id

    def actor(self, label: str) -> Actor:
        role, hospital = ACTOR_SPECS[label]
        hospital_id = {"a": self.hospital_a, "b": self.hospital_b, None: None}[hospital]
        return Actor(self.users[label], role, hospital_id, ClientInfo(session_id=f"floor-{secrets.token_hex(4)}"))


ACTOR_SPECS = {
    "admin": (UserRole.ADMIN, None),
    "ha_a": (UserRole.HOSPITAL_ADMIN, "a"),
    "ha_b": (UserRole.HOSPITAL_ADMIN, "b"),
    "exec_a": (UserRole.EXECUTIVE, "a"),
    "comp_a": (UserRole.COMPLIANCE_OFFICER, "a"),
}


def add_person(
    db: Session, label: str, role: UserRole, hospital_id: str | None, first: str, last: str, **profile
) -> tuple[str, str]:
    """A user with a profile; returns (user id, profile id)."""
    user = User(email=f"{label}.{secrets.token_hex(3)}@floor.healthdash.ng", password="x")
    user.profile = Profile(first_name=first, last_name=last, role=role, hospital_id=hospital_id, **profile)
    db.add(user)
    db.flush()
    return user.id, user.profile.id


def add_resource(db: Session, hospital_id: str, spec: tuple) -> str:
    _, name, category, total, available, in_use, maintenance, hours = spec
    resource = HospitalResource(
        hospital_id=hospital_id,
        name=name,
        category=category,
        total_quantity=total,
        available_quantity=available,
        in_use_quantity=in_use,
        maintenance_quantity=maintenance,
        status=resource_status(total, available, maintenance),
        # Ages are measured against the database's clock when the test runs, which may be minutes
        # after this module was imported (NOW) in a long suite: count back from the time of writing.
        updated_at=datetime.now(UTC) - timedelta(hours=hours),
    )
    db.add(resource)
    db.flush()
    return resource.id


def add_admission(
    db: Session,
    hospital_id: str,
    patient_id: str,
    *,
    bed: str | None,
    room: str | None,
    admitted: datetime,
    discharged: datetime | None = None,
    physician: str | None = None,
    notes: str | None = None,
) -> str:
    admission = HospitalPatient(
        hospital_id=hospital_id,
        patient_id=patient_id,
        bed_resource_id=bed,
        room_number=room,
        admission_date=admitted,
        discharge_date=discharged,
        status="discharged" if discharged else "admitted",
        assigned_physician_id=physician,
        notes=notes,
    )
    db.add(admission)
    db.flush()
    return admission.id


def build_floor(db: Session) -> Floor:
    a = Hospital(name=HOSPITAL_A, city="Abeokuta", state="Ogun", latitude=7.1475, longitude=3.3619)
    b = Hospital(name=HOSPITAL_B, city="Sokoto", state="Sokoto", latitude=13.0059, longitude=5.2476)
    db.add_all([a, b])
    db.flush()
    hospital = {"a": a.id, "b": b.id, None: None}
    users: dict[str, str] = {}
    profiles: dict[str, str] = {}
    people = {
        **{label: (role, where, label.title(), "Staff", {}) for label, (role, where) in ACTOR_SPECS.items()},
        "physician_a": (UserRole.PHYSICIAN, "a", "Chidi", "Okafor", {"specialization": "Internal Medicine"}),
        "physician_b": (UserRole.PHYSICIAN, "b", "Hauwa", "Sani", {"specialization": "Surgery"}),
        "patient_1": (UserRole.PATIENT, None, "Amaka", "Eze", {}),
        "patient_2": (UserRole.PATIENT, None, "Tunde", "Bakare", {}),
        "patient_3": (UserRole.PATIENT, None, "Ngozi", "Obi", {}),
        "patient_4": (UserRole.PATIENT, None, "Musa", "Danjuma", {}),
        "patient_5": (UserRole.PATIENT, None, "Funke", "Adeyemi", {}),  # in no hospital: free to admit
        "agent": (UserRole.AGENT, None, "Kemi", "Agent", {}),
    }
    for label, (role, where, first, last, extra) in people.items():
        users[label], profiles[label] = add_person(db, label, role, hospital[where], first, last, **extra)
    resources = {label: add_resource(db, hospital[spec[0]], spec) for label, spec in RESOURCES.items()}
    floor = Floor(a.id, b.id, users, profiles, resources)
    floor.admissions = {
        "amaka_general": add_admission(
            db,
            a.id,
            users["patient_1"],
            bed=resources["a_general"],
            room="A1-01",
            admitted=NOW - timedelta(days=2),
            physician=profiles["physician_a"],
            notes="Severe malaria",
        ),
        "tunde_icu": add_admission(
            db, a.id, users["patient_2"], bed=resources["a_icu"], room="ICU1-02", admitted=NOW - timedelta(days=4)
        ),
        "ngozi_waiting": add_admission(
            db, a.id, users["patient_3"], bed=None, room=None, admitted=NOW - timedelta(hours=6)
        ),
        "musa_discharged_a": add_admission(
            db,
            a.id,
            users["patient_4"],
            bed=resources["a_general"],
            room="A1-02",
            admitted=NOW - timedelta(days=5),
            discharged=NOW - timedelta(days=3),
        ),
        "musa_b": add_admission(
            db, b.id, users["patient_4"], bed=resources["b_general"], room="B2-07", admitted=NOW - timedelta(days=1)
        ),
    }
    return floor


@pytest.fixture
def floor(db_session) -> Floor:
    return build_floor(db_session)


def resource_counts(db: Session, resource_id: str) -> tuple[int, int, int, int, str]:
    """(total, available, in use, maintenance, status) as the database holds them now."""
    db.expire_all()
    row = db.execute(
        select(
            HospitalResource.total_quantity,
            HospitalResource.available_quantity,
            HospitalResource.in_use_quantity,
            HospitalResource.maintenance_quantity,
            HospitalResource.status,
        ).where(HospitalResource.id == resource_id)
    ).one()
    return tuple(row)


@dataclass
class CommittedWard:
    hospital_id: str
    bed_id: str
    patients: list[str]


@contextmanager
def committed_ward(engine: Engine, *, free_beds: int = 1, patients: int = 2) -> Iterator[CommittedWard]:
    """A hospital with one bed ward holding `free_beds` free beds and `patients` patients, committed.

    Everything it made (and any admission to it) is deleted afterwards; audit rows stay, as they must.
    """
    with Session(engine) as db, db.begin():
        hospital = Hospital(name=f"Concurrency Test Hospital {secrets.token_hex(3)}", city="Ilorin", state="Kwara")
        db.add(hospital)
        db.flush()
        bed_id = add_resource(db, hospital.id, ("x", "General ward beds", "beds", free_beds + 3, free_beds, 3, 0, 1))
        patient_ids = [
            add_person(db, f"race{i}", UserRole.PATIENT, None, "Race", f"Patient {i}")[0] for i in range(patients)
        ]
        ward = CommittedWard(hospital.id, bed_id, patient_ids)
    try:
        yield ward
    finally:
        with Session(engine) as db, db.begin():
            db.execute(delete(HospitalPatient).where(HospitalPatient.hospital_id == ward.hospital_id))
            db.execute(delete(HospitalResource).where(HospitalResource.hospital_id == ward.hospital_id))
            db.execute(delete(User).where(User.id.in_(ward.patients)))  # profiles go with them (cascade)
            db.execute(delete(Hospital).where(Hospital.id == ward.hospital_id))
