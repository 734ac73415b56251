"""One patient search for every picker: by hospital number, phone (as Nigerians write it), name with typos, email.

Issue 18: a clerk could find a patient by name only. Issue 23: by the hospital's own number and by a
misspelt name too. Admissions' admit form and Appointments' booking both search through
`people.find_patients`, so they find the same patients.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, select, text, update

from dashboard.domains.appointments import booking
from dashboard.domains.floor import admission_queries
from dashboard.platform import people
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AuditLog, Profile, User
from tests.fixtures import hospital_floor

floor = hospital_floor.floor


@pytest.fixture
def phoned(db_session, floor):
    """Amaka's and Funke's phones, stored the way the demo and other clients write them."""
    for label, phone in (("patient_1", "+234-803-555-0142"), ("patient_5", "0805 555 0142")):
        db_session.execute(update(Profile).where(Profile.user_id == floor.users[label]).values(phone=phone))
    return floor


def found(db, actor, text, hospital_id=None):
    """(admissions' user ids, appointments' user ids) for one search."""
    return (
        [p.user_id for p in admission_queries.find_patients(db, actor, text, hospital_id=hospital_id)],
        [p.user_id for p in booking.find_patients(db, actor, text, hospital_id=hospital_id)],
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
    for short in ("9", " a ", ""):
        with pytest.raises(InvalidInput, match="Type at least 2 characters"):
            people.find_patients(db_session, actor, short)
    with pytest.raises(InvalidInput, match="characters long"):
        people.find_patients(db_session, actor, "amaka " * 40)


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


# --- issue 23: hospital numbers, misspelt names, ranking -------------------------------------------------


def test_a_hospital_number_finds_its_patient_whole_by_its_start_or_without_its_zeros(db_session, phoned):
    """Hospital A (Adeyemi Memorial, AMH) numbered Amaka, Tunde, Ngozi and Musa 1 to 4 as they were admitted."""
    actor, users = phoned.actor("ha_a"), phoned.users
    amaka, tunde, ngozi, musa = (users[f"patient_{i}"] for i in range(1, 5))
    for typed in ("AMH-000001", "amh-000001", "AMH 000001", "000001", "AMH-1", "amh1"):
        assert found(db_session, actor, typed) == ([amaka], [amaka]), typed
    assert found(db_session, actor, "AMH-00000") == ([amaka, tunde, ngozi, musa],) * 2  # the start, in order
    assert found(db_session, actor, "AMH-000009") == ([], [])
    (shown,) = booking.find_patients(db_session, actor, "AMH-000003")
    assert (shown.user_id, shown.hospital_number, shown.label) == (
        ngozi,
        "AMH-000003",
        f"Ngozi Obi · AMH-000003 · {shown.email}",
    )


def test_another_hospitals_number_is_not_found_from_a_hospital_scope(db_session, phoned):
    """Musa is AMH-000004 at A and BSH-000001 at B: each hospital finds him by its own number only."""
    musa, amaka = phoned.users["patient_4"], phoned.users["patient_1"]
    ha_b = phoned.actor("ha_b")
    assert found(db_session, ha_b, "AMH-000001") == ([], [])  # Amaka's number at A
    assert found(db_session, ha_b, "AMH-000004") == ([], [])  # Musa's at A, asked at B
    assert found(db_session, ha_b, "BSH-000001") == ([musa], [musa])
    (at_b,) = admission_queries.find_patients(db_session, ha_b, "000001")
    assert at_b.user_id == musa and at_b.label.startswith("Musa Danjuma · BSH-000001")
    # A network administrator searches the numbers of the hospital the form acts in, checked in scope.
    admin = phoned.actor("admin")
    assert found(db_session, admin, "000001", hospital_id=phoned.hospital_a) == ([amaka], [amaka])
    assert found(db_session, admin, "000001", hospital_id=phoned.hospital_b) == ([musa], [musa])
    assert found(db_session, admin, "000001") == ([], [])  # no hospital picked: no numbers to search
    with pytest.raises(OutOfScope):
        people.find_patients(db_session, ha_b, "000001", hospital_id=phoned.hospital_a)  # a form naming A, from B


def test_a_misspelt_name_finds_the_patient_best_match_first(db_session, phoned):
    make = hospital_floor.add_person
    chukwuma = make(db_session, "chukwuma", UserRole.PATIENT, None, "Chukwuma", "Okonkwo")[0]
    chukwuemeka = make(db_session, "chukwuemeka", UserRole.PATIENT, None, "Chukwuemeka", "Okonkwo")[0]
    actor = phoned.actor("ha_a")
    admitted, booked = found(db_session, actor, "Chukwma")
    assert admitted == booked and admitted[0] == chukwuma
    assert found(db_session, actor, "chukwuma okonkwo")[0][:2] == [chukwuma, chukwuemeka]
    assert found(db_session, actor, "Ngozy Obi")[0][:1] == [phoned.users["patient_3"]]
    assert found(db_session, actor, "Qwxz Vbnm") == ([], [])  # nothing like any name


def test_a_number_comes_before_a_phone_and_a_phone_before_a_name(db_session, phoned):
    """Ranked by how surely a result is the patient meant: number, then phone, then the best name match."""
    ngozi, funke = phoned.users["patient_3"], phoned.users["patient_5"]
    db_session.execute(update(Profile).where(Profile.user_id == ngozi).values(phone="0803 000 0004"))
    make = hospital_floor.add_person
    namesake = make(db_session, "amh", UserRole.PATIENT, None, "Amh", "Ojo")[0]
    actor = phoned.actor("ha_a")
    # "AMH 0000": the start of A's numbers (all four), never a name search since it carries digits.
    assert namesake not in found(db_session, actor, "AMH-0000")[0]
    assert found(db_session, actor, "amh ojo")[0][:1] == [namesake]
    # "0000004": Musa's number at A (AMH-000004) first, then Ngozi's phone 0803 000 0004 does not start so; but
    # "80300": her phone's start; Funke's 0805 does not.
    assert found(db_session, actor, "0000004")[0][:1] == [phoned.users["patient_4"]]
    assert found(db_session, actor, "0803 00") == ([ngozi], [ngozi])
    assert funke not in found(db_session, actor, "0803 00")[0]


def test_the_search_is_bounded(db_session, phoned):
    """At most MAX_PATIENT_MATCHES, however many match, and no more than asked for."""
    for i in range(people.MAX_PATIENT_MATCHES + 5):
        hospital_floor.add_person(db_session, f"many_{i}", UserRole.PATIENT, None, "Adaeze", f"Many{i}")
    actor = phoned.actor("ha_a")
    assert len(people.find_patients(db_session, actor, "adaeze", limit=500)) == people.MAX_PATIENT_MATCHES
    assert len(people.find_patients(db_session, actor, "adaeze", limit=3)) == 3


# The candidates function's two reads (migration 0016), as the function runs them (as its owner, no RLS).
INNER_READS = {
    "ix_profiles_patient_search_name": "SELECT user_id FROM profiles WHERE role = 'PATIENT' AND hospital_id IS NULL "
    "AND 'chukwma' <% healthdash_search_name(first_name, last_name)",
    "ix_profiles_patient_phone_digits": "SELECT user_id FROM profiles WHERE role = 'PATIENT' AND hospital_id IS NULL "
    "AND healthdash_phone_digits(phone) >= '8035550' AND healthdash_phone_digits(phone) < '8035551'",
}


def test_every_read_of_the_search_is_an_index_read_among_thousands_of_patients(db_session, phoned):
    """20,000 patients (ten times the scale-1 demo's) with numbers: the search statement scans no table whole."""
    db_session.execute(
        text(
            "INSERT INTO users (id, email, password) "
            "SELECT 'plan' || g, 'plan' || g || '@plans.healthdash.ng', 'x' FROM generate_series(1, 20000) g"
        )
    )
    db_session.execute(
        text(
            "INSERT INTO profiles (id, user_id, first_name, last_name, phone, role) "
            "SELECT 'plan-p' || g, 'plan' || g, (ARRAY['Adaeze', 'Bola', 'Chidi', 'Dayo', 'Emeka'])[g % 5 + 1], "
            "'Surname' || g, '0803 ' || lpad(g::text, 7, '0'), 'PATIENT' FROM generate_series(1, 20000) g"
        )
    )
    db_session.execute(
        text(
            "INSERT INTO patient_hospital_numbers (hospital_id, patient_id, sequence_number, number) "
            "SELECT :a, 'plan' || g, 100 + g, 'AMH-' || lpad((100 + g)::text, 6, '0') FROM generate_series(1, 20000) g"
        ),
        {"a": phoned.hospital_a},
    )
    db_session.execute(text("ANALYZE users, profiles, patient_hospital_numbers"))  # undone with the test
    statements: list[tuple[str, object]] = []
    connection = db_session.connection()

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT users.id") and "patient_hospital_numbers" in statement:  # the search
            statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        for typed in ("AMH-000001", "0803 555 0142", "Chukwma", "emeka"):
            people.find_patients(db_session, phoned.actor("ha_a"), typed, hospital_id=phoned.hospital_a)
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    assert len(statements) == 4
    for statement, parameters in statements:
        plan = json.dumps(connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar())
        assert '"Seq Scan"' not in plan, (parameters, plan)
    for index, read in INNER_READS.items():
        plan = "\n".join(db_session.scalars(text("EXPLAIN " + read)))
        assert index in plan and "Seq Scan" not in plan, plan
