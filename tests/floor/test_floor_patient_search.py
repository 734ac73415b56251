"""One patient search for every picker: by name, email, phone (as Nigerians write it) or patient number.

Issue 18: a clerk could find a patient by name only. Admissions' admit form and Appointments'
booking both search through `people.find_patients`, so they find the same patients.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from dashboard.domains.appointments import booking
from dashboard.domains.floor import admission_queries
from dashboard.platform import people
from dashboard.platform.errors import NotPermitted
from db.models import AuditLog, Profile, User
from tests.fixtures import hospital_floor

floor = hospital_floor.floor


@pytest.fixture
def phoned(db_session, floor):
    """Amaka's and Funke's phones, stored the way the demo and other clients write them."""
    for label, phone in (("patient_1", "+234-803-555-0142"), ("patient_5", "0805 555 0142")):
        db_session.execute(update(Profile).where(Profile.user_id == floor.users[label]).values(phone=phone))
    return floor


def found(db, actor, text):
    """(admissions' user ids, appointments' user ids) for one search."""
    return (
        [p.user_id for p in admission_queries.find_patients(db, actor, text)],
        [p.user_id for p in booking.find_patients(db, actor, text)],
    )


@pytest.mark.parametrize(
    "typed", ["0803 555 0142", "+234 803 555 0142", "2348035550142", "08035550142", "803-555", "(0803) 555-0142"]
)
def test_a_phone_number_finds_its_patient_however_it_is_written(db_session, phoned, typed):
    amaka = phoned.users["patient_1"]
    assert found(db_session, phoned.actor("ha_a"), typed) == ([amaka], [amaka])


def test_the_start_of_a_number_finds_every_patient_whose_number_starts_so(db_session, phoned):
    both = sorted([phoned.users["patient_1"], phoned.users["patient_5"]])
    # National "80" is too short to be a number. (The fixture's emails end in random hex, which can hold
    # "080"; a patient found by email is not one found by phone.)
    emails = dict(db_session.execute(select(User.id, User.email).where(User.id.in_(both))).all())
    by_phone_only = {user for user in both if "080" not in emails[user]}
    admitted, booked = found(db_session, phoned.actor("ha_a"), "080")
    assert admitted == booked and not by_phone_only & set(admitted)
    admitted, booked = found(db_session, phoned.actor("ha_a"), "0805 5")
    assert admitted == booked == [phoned.users["patient_5"]]
    admitted, _ = found(db_session, phoned.actor("ha_a"), "555 0142")  # the middle of a number is not its start
    assert admitted == []


def test_the_patient_number_finds_the_patient_and_names_still_do(db_session, phoned):
    actor = phoned.actor("ha_a")
    musa = phoned.users["patient_4"]
    assert found(db_session, actor, musa) == ([musa], [musa])
    assert found(db_session, actor, f"  {musa.upper()} ") == ([musa], [musa])
    assert found(db_session, actor, musa[:-1]) == ([], [])  # a number is matched whole
    (amaka,) = admission_queries.find_patients(db_session, actor, "amaka eze")
    assert (amaka.name, amaka.already_admitted, amaka.admitted_at_hospital) == (
        "Amaka Eze",
        True,
        hospital_floor.HOSPITAL_A,
    )
    # Found by phone, the admit form still says where the patient is admitted.
    (by_phone,) = admission_queries.find_patients(db_session, actor, "0803 555 0142")
    assert by_phone == amaka


def test_wildcards_and_staff_are_not_found(db_session, phoned):
    actor = phoned.actor("ha_a")
    assert found(db_session, actor, "0803%") == ([], [])  # a % is a character, not "anything"
    assert found(db_session, actor, "Chidi") == ([], [])  # a physician
    assert found(db_session, actor, "9") == ([], [])  # too short


def test_each_caller_keeps_its_role_rule_and_audit_row(db_session, phoned):
    actor = phoned.actor("ha_a")
    admission_queries.find_patients(db_session, actor, "0803 555 0142")
    booking.find_patients(db_session, actor, "0803 555 0142")
    kinds = db_session.scalars(select(AuditLog.action_type).where(AuditLog.user_id == actor.user_id)).all()
    assert {"patient_search", "appointment_patient_search"} <= set(kinds)
    for search in (admission_queries.find_patients, booking.find_patients, people.find_patients):
        with pytest.raises(NotPermitted):
            search(db_session, phoned.actor("exec_a"), "amaka")


def test_national_digits():
    assert people.national_digits("+234-803-555-0142") == "8035550142"
    assert people.national_digits("0803 555 0142") == "8035550142"
    assert people.national_digits("803") == "803"
