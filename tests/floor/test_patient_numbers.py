"""Hospital numbers (migration 0016): given once per hospital and patient, on the first visit, race-safe, scoped.

The database gives them (a trigger on admissions, appointments and the waitlist), so each test writes those
rows the way any client does and reads back what the patient got.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dashboard.domains.floor import admission_commands
from db import migrate, roles
from db.base import UserRole
from db.engine import make_engine, make_owner_engine
from db.models import (
    Hospital,
    PatientHospitalNumber,
    PatientNumberSeries,
    PatientWaitlist,
    User,
)
from db.row_scope import apply_scope
from tests.fixtures import hospital_floor
from tests.fixtures.throwaway import create_database, drop_database

floor = hospital_floor.floor


def numbers(db: Session, patient_id: str) -> dict[str, str]:
    """{hospital id: number} of one patient."""
    rows = db.execute(
        select(PatientHospitalNumber.hospital_id, PatientHospitalNumber.number).where(
            PatientHospitalNumber.patient_id == patient_id
        )
    )
    return dict(rows.all())


def waitlist(db: Session, hospital_id: str, patient_id: str) -> None:
    db.add(PatientWaitlist(hospital_id=hospital_id, patient_id=patient_id, department="General", reason="Fever"))
    db.flush()


def test_each_hospital_numbers_its_patients_in_order_of_first_visit(db_session, floor):
    """Adeyemi Memorial Hospital's prefix is AMH; Musa, seen at both hospitals, has a number at each."""
    a, b, users = floor.hospital_a, floor.hospital_b, floor.users
    assert numbers(db_session, users["patient_1"]) == {a: "AMH-000001"}
    assert numbers(db_session, users["patient_3"]) == {a: "AMH-000003"}
    assert numbers(db_session, users["patient_4"]) == {a: "AMH-000004", b: "BSH-000001"}
    assert numbers(db_session, users["patient_5"]) == {}  # never admitted, booked or waitlisted
    series = dict(db_session.execute(select(PatientNumberSeries.hospital_id, PatientNumberSeries.last_number)).all())
    assert (series[a], series[b]) == (4, 1)


def test_a_number_is_given_once_and_kept(db_session, floor):
    """A second visit (the waitlist, a readmission) keeps the number; a first visit elsewhere gets that hospital's."""
    a, b, amaka, funke = floor.hospital_a, floor.hospital_b, floor.users["patient_1"], floor.users["patient_5"]
    waitlist(db_session, a, amaka)
    waitlist(db_session, a, amaka)
    assert numbers(db_session, amaka) == {a: "AMH-000001"}
    waitlist(db_session, a, funke)
    assert numbers(db_session, funke) == {a: "AMH-000005"}
    waitlist(db_session, b, funke)
    assert numbers(db_session, funke) == {a: "AMH-000005", b: "BSH-000002"}


def test_admitting_through_the_service_numbers_the_patient_in_the_same_transaction(db_session, floor):
    funke = floor.users["patient_5"]
    savepoint = db_session.begin_nested()
    admission_commands.admit(
        db_session, floor.actor("ha_a"), hospital_id=floor.hospital_a, patient_id=funke,
        bed_resource_id=floor.resources["a_isolation"],
    )  # fmt: skip
    assert numbers(db_session, funke) == {floor.hospital_a: "AMH-000005"}
    savepoint.rollback()  # the admission undone: its number with it
    assert numbers(db_session, funke) == {}


def test_one_statement_numbers_many_new_patients(db_session, floor):
    """A bulk write (the demo's COPY, a batch import) numbers every new patient of it, in order of first visit."""
    a = floor.hospital_a
    fresh = [hospital_floor.add_person(db_session, f"bulk_{i}", UserRole.PATIENT, None, "Bulk", str(i))[0]
             for i in range(3)]  # fmt: skip
    earlier = datetime.now(UTC) - timedelta(hours=3)
    rows = [{"hospital_id": a, "patient_id": p, "department": "General", "reason": "Check-up",
             "created_at": earlier + timedelta(minutes=10 * (3 - i))} for i, p in enumerate(fresh)]  # fmt: skip
    db_session.execute(PatientWaitlist.__table__.insert().values(rows))  # one INSERT of three rows
    assert [numbers(db_session, p)[a] for p in reversed(fresh)] == ["AMH-000005", "AMH-000006", "AMH-000007"]


# --- two first visits at the same moment ------------------------------------------------------------------


@pytest.fixture
def committed_hospital(engine):
    """A hospital and three patients, committed (the race needs two connections), and removed afterwards."""
    with Session(engine) as session, session.begin():
        hospital = Hospital(name=f"Race Test Hospital {secrets.token_hex(2)}")
        session.add(hospital)
        session.flush()
        patients = [
            hospital_floor.add_person(session, f"race_{i}", UserRole.PATIENT, None, "Race", str(i))[0] for i in range(3)
        ]
        ids = hospital.id, patients
    yield ids
    hospital_id, patients = ids
    with Session(engine) as session, session.begin():
        session.execute(delete(PatientWaitlist).where(PatientWaitlist.hospital_id == hospital_id))
        session.execute(delete(User).where(User.id.in_(patients)))  # profiles and numbers go with them
        session.execute(delete(Hospital).where(Hospital.id == hospital_id))


def _race(engine, hospital_id: str, first: str, second: str) -> None:
    """`first` is waitlisted and holds its transaction open while `second` is waitlisted from another connection."""
    errors: list[BaseException] = []
    with Session(engine) as one:
        waitlist(one, hospital_id, first)
        started = threading.Event()

        def other() -> None:
            try:
                with Session(engine) as two, two.begin():
                    started.set()
                    waitlist(two, hospital_id, second)
            except BaseException as exc:  # surfaced below
                errors.append(exc)
                started.set()

        thread = threading.Thread(target=other)
        thread.start()
        started.wait(10)
        thread.join(1.0)
        assert thread.is_alive(), "the second first visit should wait for the first's transaction"
        one.commit()
        thread.join(20)
    assert errors == []


def test_two_first_visits_at_once_get_distinct_numbers(engine, committed_hospital):
    hospital_id, (p1, p2, _) = committed_hospital
    _race(engine, hospital_id, p1, p2)
    with Session(engine) as session:
        got = [numbers(session, p)[hospital_id] for p in (p1, p2)]
        prefix = session.scalar(
            select(PatientNumberSeries.prefix).where(PatientNumberSeries.hospital_id == hospital_id)
        )
    assert got == [f"{prefix}-000001", f"{prefix}-000002"]


def test_one_patients_two_first_visits_at_once_give_one_number(engine, committed_hospital):
    hospital_id, (p1, _, p3) = committed_hospital
    _race(engine, hospital_id, p1, p1)
    with Session(engine) as session, session.begin():
        assert len(numbers(session, p1)) == 1
        waitlist(session, hospital_id, p3)
        # The second visit's number was taken and not used: a gap, never a number given twice.
        assert numbers(session, p3)[hospital_id].endswith("-000003")


# --- row-level security ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(admin_url):
    """Its own database and roles: the app role under row-level security, two hospitals, a patient at each."""
    url = create_database(admin_url, prefix="healthdash_numbers")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    roles.apply_as_superuser(superuser, names)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    migrate.upgrade(owner)
    assert roles.refresh_grants(owner, names)
    with Session(owner) as session, session.begin():
        a, b = Hospital(name="Alpha General Hospital"), Hospital(name="Beta General Hospital")
        session.add_all([a, b])
        session.flush()
        patients = [hospital_floor.add_person(session, f"rls_{i}", UserRole.PATIENT, None, "Rls", str(i))[0]
                    for i in range(3)]  # fmt: skip
        waitlist(session, a.id, patients[0])
        waitlist(session, b.id, patients[1])
        ids = {"a": a.id, "b": b.id, "patients": patients}
    app = make_engine(roles.as_role(url, names.app))
    yield {"app": app, **ids}
    for eng in (app, owner, superuser):
        eng.dispose()
    drop_database(admin_url, url.database)
    with make_engine(admin_url).connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
        conn.commit()


def test_a_hospital_sees_and_gives_only_its_own_numbers(secured):
    a, b, (at_a, at_b, new) = secured["a"], secured["b"], secured["patients"]
    with Session(secured["app"]) as session, session.begin():
        assert session.scalars(select(PatientHospitalNumber.number)).all() == []  # no scope: nothing
    with Session(secured["app"]) as session, session.begin():
        apply_scope(session, a)
        assert session.scalars(select(PatientHospitalNumber.number)).all() == ["AGH-000001"]
        assert session.scalars(select(PatientNumberSeries.hospital_id)).all() == [a]
        waitlist(session, a, new)  # the app role's own write numbers the patient, under its scope
        assert numbers(session, new) == {a: "AGH-000002"}
        assert numbers(session, at_b) == {}  # B's patient's number is B's
        session.rollback()
    with Session(secured["app"]) as session, session.begin(), pytest.raises(DBAPIError, match="row-level security"):
        apply_scope(session, a)
        session.add(PatientHospitalNumber(hospital_id=b, patient_id=new, sequence_number=99, number="BGH-000099"))
        session.flush()
    with Session(secured["app"]) as session, session.begin():
        apply_scope(session, b)
        assert numbers(session, at_b) == {b: "BGH-000001"} and numbers(session, at_a) == {}
    with make_engine(secured["app"].url).connect() as conn:
        flags = conn.execute(
            text("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                 "WHERE relname IN ('patient_hospital_numbers', 'patient_number_series') ORDER BY relname")
        ).all()  # fmt: skip
    assert [tuple(f) for f in flags] == [
        ("patient_hospital_numbers", True, True),
        ("patient_number_series", True, True),
    ]


def test_the_app_role_cannot_change_or_remove_a_number(secured):
    a = secured["a"]
    for statement in ("UPDATE patient_hospital_numbers SET number = 'X-1'", "DELETE FROM patient_hospital_numbers"):
        with Session(secured["app"]) as session, session.begin(), pytest.raises(DBAPIError, match="permission denied"):
            apply_scope(session, a)
            session.execute(text(statement))
