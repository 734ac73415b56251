"""Admissions: census, flow and stay figures in scope; admit, discharge and move with the bed counts in step.

Also the schema addition they rest on (hospital_patients.bed_resource_id, migration 0004) and the
demo data's use of it: every current demo admission holds a bed its ward's resource counts as in use.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.floor import admission_commands, admission_queries, resource_commands
from dashboard.domains.floor.admission_queries import WAITING_FOR_BED
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AuditLog, HospitalPatient
from tests.fixtures import hospital_floor
from tests.fixtures.hospital_floor import HOSPITAL_A, HOSPITAL_B, NOW, resource_counts

floor = hospital_floor.floor
TODAY = NOW.astimezone(LAGOS).date()


def audit_rows(db, user_id, action_type):
    return db.scalars(select(AuditLog).where(AuditLog.user_id == user_id, AuditLog.action_type == action_type)).all()


def refusals(engine, user_id):
    with Session(engine) as session:
        return session.scalars(
            select(AuditLog.action_type).where(AuditLog.user_id == user_id, AuditLog.action_category == "security")
        ).all()


def written(db) -> tuple[int, int]:
    """(admissions, audit rows of changes): a refused command changes neither.

    A refusal is itself audited, on its own connection (category "security"); that row is meant to stay.
    """
    return (
        db.scalar(select(func.count()).select_from(HospitalPatient)),
        db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action_category != "security")),
    )


def all_bed_counts(db, floor) -> dict[str, tuple]:
    return {label: resource_counts(db, resource_id) for label, resource_id in floor.resources.items()}


# --- The schema addition -------------------------------------------------------------------------------


def test_bed_resource_id_is_a_nullable_indexed_foreign_key(db_session):
    column = db_session.execute(
        text(
            "SELECT is_nullable, data_type FROM information_schema.columns "
            "WHERE table_name = 'hospital_patients' AND column_name = 'bed_resource_id'"
        )
    ).one()
    assert tuple(column) == ("YES", "text")
    foreign_key = db_session.execute(
        text(
            "SELECT c.conname, c.confrelid::regclass::text, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid = 'hospital_patients'::regclass AND a.attname = 'bed_resource_id'"
        )
    ).one()
    assert foreign_key[0] == "fk_hospital_patients_bed_resource_id_hospital_resources"
    assert foreign_key[1] == "hospital_resources" and "REFERENCES hospital_resources(id)" in foreign_key[2]
    index = db_session.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_hospital_patients_bed_resource_id'")
    )
    assert index is not None and "(bed_resource_id)" in index


def test_a_held_bed_resource_cannot_be_deleted(db_session, floor):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(text("DELETE FROM hospital_resources WHERE id = :id"), {"id": floor.resources["a_icu"]})


# --- Census, flow, stay -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ha_a", "exec_a"])
def test_census_by_ward_and_room_holds_only_hospital_a(db_session, floor, who):
    rows = admission_queries.census(db_session, floor.actor(who))
    assert [(r.ward, r.room_number, r.patients, r.waiting_for_bed) for r in rows] == [
        ("General ward beds", "A1-01", 1, False),
        ("ICU beds", "ICU1-02", 1, False),
        (WAITING_FOR_BED, None, 1, True),
    ]
    assert {r.hospital_id for r in rows} == {floor.hospital_a} and {r.hospital_name for r in rows} == {HOSPITAL_A}
    assert rows[0].average_days == pytest.approx(2, abs=0.01) and rows[1].longest_days == pytest.approx(4, abs=0.01)


def test_census_by_ward_sums_rooms_and_averages_stays(db_session, floor):
    hospital_floor.add_admission(
        db_session,
        floor.hospital_a,
        floor.users["patient_5"],
        bed=floor.resources["a_general"],
        room="A1-09",
        admitted=NOW - timedelta(days=6),
    )
    by_room = admission_queries.census(db_session, floor.actor("ha_a"))
    by_ward = admission_queries.census(db_session, floor.actor("ha_a"), by_room=False)
    assert len(by_room) == 4 and [(r.ward, r.room_number, r.patients) for r in by_ward] == [
        ("General ward beds", None, 2),
        ("ICU beds", None, 1),
        (WAITING_FOR_BED, None, 1),
    ]
    assert by_ward[0].average_days == pytest.approx(4, abs=0.01) and by_ward[0].longest_days == pytest.approx(
        6, abs=0.01
    )
    assert sum(r.patients for r in by_ward) == sum(r.patients for r in by_room)


def test_census_of_the_network_has_both_hospitals(db_session, floor):
    rows = [
        r
        for r in admission_queries.census(db_session, floor.actor("admin"))
        if r.hospital_id in (floor.hospital_a, floor.hospital_b)
    ]
    assert sum(r.patients for r in rows) == 4
    assert [(r.hospital_name, r.room_number) for r in rows if r.hospital_id == floor.hospital_b] == [
        (HOSPITAL_B, "B2-07")
    ]


def test_compliance_officers_cannot_read_admissions(db_session, engine, floor):
    actor = floor.actor("comp_a")
    for read in (
        lambda: admission_queries.census(db_session, actor),
        lambda: admission_queries.list_admitted(db_session, actor),
        lambda: admission_queries.waiting_for_bed(db_session, actor),
        lambda: admission_queries.flow_by_day(db_session, actor, start=TODAY, end=TODAY),
    ):
        with pytest.raises(NotPermitted, match="Compliance officer"):
            read()
    assert refusals(engine, actor.user_id).count("permission_denied") == 4


def test_flow_by_day_counts_each_lagos_day_with_quiet_days_as_zero(db_session, floor):
    start = TODAY - timedelta(days=6)
    days = admission_queries.flow_by_day(db_session, floor.actor("ha_a"), start=start, end=TODAY)
    assert [d.day for d in days] == [start + timedelta(days=i) for i in range(7)]
    admitted = Counter((NOW - ago).astimezone(LAGOS).date() for ago in (timedelta(days=d) for d in (2, 4, 5)))
    admitted[(NOW - timedelta(hours=6)).astimezone(LAGOS).date()] += 1
    assert {d.day: d.admissions for d in days if d.admissions} == dict(admitted)
    assert {d.day: d.discharges for d in days if d.discharges} == {
        (NOW - timedelta(days=3)).astimezone(LAGOS).date(): 1
    }
    assert sum(d.admissions for d in days) == 4 and sum(d.discharges for d in days) == 1
    b_days = admission_queries.flow_by_day(db_session, floor.actor("ha_b"), start=start, end=TODAY)
    assert sum(d.admissions for d in b_days) == 1 and sum(d.discharges for d in b_days) == 0


def test_a_day_is_a_lagos_day(db_session, floor):
    # 23:30 UTC on 1 March is 00:30 on 2 March in Lagos.
    late = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    hospital_floor.add_admission(
        db_session, floor.hospital_b, floor.users["patient_5"], bed=None, room=None, admitted=late
    )
    days = admission_queries.flow_by_day(db_session, floor.actor("ha_b"), start=date(2025, 3, 1), end=date(2025, 3, 2))
    assert [(d.day, d.admissions) for d in days] == [(date(2025, 3, 1), 0), (date(2025, 3, 2), 1)]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2025, 3, 2), date(2025, 3, 1), "start date is after the end date"),
        (date(2015, 1, 1), date(2025, 1, 1), "at most three years"),
        ("2025-03-01", date(2025, 3, 1), "Pick a start and an end date"),
    ],
)
def test_bad_date_ranges_are_refused(db_session, floor, start, end, message):
    with pytest.raises(InvalidInput, match=message):
        admission_queries.flow_by_day(db_session, floor.actor("ha_a"), start=start, end=end)
    with pytest.raises(InvalidInput, match=message):
        admission_queries.stay_figures(db_session, floor.actor("ha_a"), start=start, end=end)


def test_stay_figures_against_the_period_before(db_session, floor):
    # A stay of 4 days discharged 10 days ago: in the previous 7-day period, not this one.
    hospital_floor.add_admission(
        db_session,
        floor.hospital_a,
        floor.users["patient_5"],
        bed=floor.resources["a_general"],
        room="A1-05",
        admitted=NOW - timedelta(days=14),
        discharged=NOW - timedelta(days=10),
    )
    week = {"start": TODAY - timedelta(days=6), "end": TODAY}
    figures = admission_queries.stay_figures(db_session, floor.actor("ha_a"), **week)
    assert (figures.discharges, figures.beds, figures.current_census) == (1, 26, 3)
    assert figures.average_stay_days == pytest.approx(2.0)
    assert figures.bed_turnover == pytest.approx(1 / 26)
    assert (figures.previous_start, figures.previous_end) == (TODAY - timedelta(days=13), TODAY - timedelta(days=7))
    assert figures.previous_discharges == 1 and figures.previous_average_stay_days == pytest.approx(4.0)
    assert figures.previous_bed_turnover == pytest.approx(1 / 26)
    b = admission_queries.stay_figures(db_session, floor.actor("ha_b"), start=TODAY - timedelta(days=6), end=TODAY)
    assert (b.discharges, b.average_stay_days, b.beds, b.bed_turnover, b.current_census) == (0, None, 22, 0.0, 1)


# --- Lists ---------------------------------------------------------------------------------------------


def test_list_admitted_names_patients_wards_and_physicians(db_session, floor):
    actor = floor.actor("ha_a")
    page = admission_queries.list_admitted(db_session, actor)
    assert page.total == 3
    assert [(r.patient_name, r.ward, r.room_number) for r in page.rows] == [
        ("Amaka Eze", "General ward beds", "A1-01"),
        ("Tunde Bakare", "ICU beds", "ICU1-02"),
        ("Ngozi Obi", None, None),
    ]
    amaka = page.rows[0]
    assert (amaka.hospital_name, amaka.physician_name, amaka.notes, amaka.status) == (
        HOSPITAL_A,
        "Chidi Okafor",
        "Severe malaria",
        "admitted",
    )
    assert amaka.days_so_far == pytest.approx(2, abs=0.01) and amaka.discharged_at is None
    assert amaka.admitted_at == pytest.approx(NOW - timedelta(days=2), abs=timedelta(seconds=1))
    (viewed,) = audit_rows(db_session, actor.user_id, "patient_list_viewed")
    assert viewed.new_values == {"search": None, "page": 1} and viewed.hospital_id == floor.hospital_a


def test_list_admitted_searches_by_name_or_room_and_holds_nothing_of_b(db_session, floor):
    actor = floor.actor("ha_a")
    assert [r.patient_name for r in admission_queries.list_admitted(db_session, actor, search="tunde").rows] == [
        "Tunde Bakare"
    ]
    assert [r.patient_name for r in admission_queries.list_admitted(db_session, actor, search="icu1").rows] == [
        "Tunde Bakare"
    ]
    assert [r.patient_name for r in admission_queries.list_admitted(db_session, actor, search="amaka eze").rows] == [
        "Amaka Eze"
    ]
    assert admission_queries.list_admitted(db_session, actor, search="Musa").total == 0  # at B now, discharged at A
    assert admission_queries.list_admitted(db_session, actor, search="100%_").total == 0
    network = admission_queries.list_admitted(db_session, floor.actor("admin"), search="Musa Danjuma")
    assert [(r.hospital_name, r.room_number) for r in network.rows] == [(HOSPITAL_B, "B2-07")]


def test_export_admitted_is_audited(db_session, floor):
    actor = floor.actor("exec_a")
    rows, truncated = admission_queries.export_admitted(db_session, actor, search="")
    assert len(rows) == 3 and not truncated and {r.hospital_id for r in rows} == {floor.hospital_a}
    (entry,) = audit_rows(db_session, actor.user_id, "admitted_patients_exported")
    assert entry.new_values == {"search": None, "rows": 3} and entry.impact_level == "medium"


def test_waiting_for_bed_lists_admissions_without_a_bed(db_session, floor):
    rows = admission_queries.waiting_for_bed(db_session, floor.actor("ha_a"))
    assert [(r.patient_name, r.ward, r.bed_resource_id) for r in rows] == [("Ngozi Obi", None, None)]
    assert admission_queries.waiting_for_bed(db_session, floor.actor("ha_b")) == []


def test_find_patients_flags_admissions_in_scope_only(db_session, floor):
    ha_a, admin = floor.actor("ha_a"), floor.actor("admin")
    (amaka,) = admission_queries.find_patients(db_session, ha_a, "amaka")
    assert (amaka.user_id, amaka.name, amaka.already_admitted, amaka.admitted_at_hospital) == (
        floor.users["patient_1"],
        "Amaka Eze",
        True,
        HOSPITAL_A,
    )
    assert amaka.email.endswith("@floor.healthdash.ng")
    # Musa is in hospital B: its administrators and the network see it; A's administrator does not.
    (musa,) = admission_queries.find_patients(db_session, ha_a, "Danjuma")
    assert (musa.already_admitted, musa.admitted_at_hospital) == (False, None)
    (musa,) = admission_queries.find_patients(db_session, admin, "Danjuma")
    assert (musa.already_admitted, musa.admitted_at_hospital) == (True, HOSPITAL_B)
    assert [p.name for p in admission_queries.find_patients(db_session, ha_a, "funke ADEYEMI")] == ["Funke Adeyemi"]
    assert admission_queries.find_patients(db_session, ha_a, "Chidi") == []  # a physician, not a patient
    with pytest.raises(InvalidInput, match="at least 2 characters"):  # too short to search
        admission_queries.find_patients(db_session, ha_a, " a ")
    assert len(admission_queries.find_patients(db_session, ha_a, "patient_", limit=2)) == 2  # the start of an email
    with pytest.raises(NotPermitted):
        admission_queries.find_patients(db_session, floor.actor("exec_a"), "amaka")


def test_physician_and_bed_choices_of_a_hospital_in_scope(db_session, engine, floor):
    actor = floor.actor("ha_a")
    assert admission_queries.physician_choices(db_session, actor, floor.hospital_a) == [
        (floor.profiles["physician_a"], "Chidi Okafor — Internal Medicine")
    ]
    beds = admission_queries.bed_choices(db_session, actor, floor.hospital_a)
    assert [(b.name, b.free) for b in beds] == [
        ("General ward beds", 5),
        ("ICU beds", 1),
        ("Isolation beds", 2),
        ("Maternity beds", 2),
        ("Paediatric beds", 0),
    ]
    with pytest.raises(OutOfScope):
        admission_queries.bed_choices(db_session, actor, floor.hospital_b)
    with pytest.raises(OutOfScope):
        admission_queries.physician_choices(db_session, actor, floor.hospital_b)
    with pytest.raises(NotFound):
        admission_queries.bed_choices(db_session, actor, "no-such-hospital\x00")
    assert refusals(engine, actor.user_id).count("scope_violation") == 2


# --- admit and discharge ----------------------------------------------------------------------------------


def test_admit_then_discharge_returns_the_bed_counts_to_their_start(db_session, floor):
    actor = floor.actor("ha_a")
    general = floor.resources["a_general"]
    start = resource_counts(db_session, general)
    row = admission_commands.admit(
        db_session,
        actor,
        hospital_id=floor.hospital_a,
        patient_id=floor.users["patient_5"],
        bed_resource_id=general,
        room_number=" A1-03 ",
        physician_id=floor.profiles["physician_a"],
        notes="Typhoid fever",
    )
    assert (row.patient_name, row.ward, row.room_number, row.physician_name, row.status) == (
        "Funke Adeyemi",
        "General ward beds",
        "A1-03",
        "Chidi Okafor",
        "admitted",
    )
    assert resource_counts(db_session, general) == (10, 4, 5, 1, "available")
    (admitted,) = audit_rows(db_session, actor.user_id, "patient_admitted")
    assert admitted.resource_id == row.admission_id and admitted.hospital_id == floor.hospital_a
    assert admitted.new_values["bed_resource_id"] == general and admitted.new_values["beds_free_after"] == 4
    assert row.patient_name in [r.patient_name for r in admission_queries.list_admitted(db_session, actor).rows]

    discharged = admission_commands.discharge(db_session, actor, row.admission_id)
    assert discharged.status == "discharged" and discharged.discharged_at is not None
    assert resource_counts(db_session, general) == start
    (entry,) = audit_rows(db_session, actor.user_id, "patient_discharged")
    assert entry.old_values == {"status": "admitted", "discharge_date": None}
    assert entry.new_values["status"] == "discharged" and entry.new_values["beds_free_after"] == 5
    assert entry.hospital_id == floor.hospital_a
    assert "Funke Adeyemi" not in [r.patient_name for r in admission_queries.list_admitted(db_session, actor).rows]


def test_taking_the_last_bed_makes_the_ward_unavailable(db_session, floor):
    admission_commands.admit(
        db_session,
        floor.actor("ha_a"),
        hospital_id=floor.hospital_a,
        patient_id=floor.users["patient_5"],
        bed_resource_id=floor.resources["a_icu"],
        room_number="ICU1-03",
    )
    assert resource_counts(db_session, floor.resources["a_icu"]) == (4, 0, 4, 0, "unavailable")


def test_admitting_without_a_bed_puts_the_patient_on_the_waiting_list(db_session, floor):
    before = all_bed_counts(db_session, floor)
    row = admission_commands.admit(
        db_session, floor.actor("ha_a"), hospital_id=floor.hospital_a, patient_id=floor.users["patient_5"]
    )
    assert (row.ward, row.bed_resource_id, row.room_number, row.physician_name) == (None, None, None, None)
    assert all_bed_counts(db_session, floor) == before
    waiting = admission_queries.waiting_for_bed(db_session, floor.actor("ha_a"))
    assert [r.patient_name for r in waiting] == ["Ngozi Obi", "Funke Adeyemi"]  # longest waiting first


def test_a_patient_discharged_elsewhere_can_be_admitted_here(db_session, floor):
    # Musa left A (discharged) and is in B: B discharges him, then A may admit him again.
    admission_commands.discharge(db_session, floor.actor("ha_b"), floor.admissions["musa_b"])
    row = admission_commands.admit(
        db_session,
        floor.actor("ha_a"),
        hospital_id=floor.hospital_a,
        patient_id=floor.users["patient_4"],
        bed_resource_id=floor.resources["a_maternity"],
        room_number="M1-01",
    )
    assert row.hospital_id == floor.hospital_a


def test_the_network_admin_admits_anywhere_and_the_audit_names_the_hospital(db_session, floor):
    actor = floor.actor("admin")
    admission_commands.admit(
        db_session,
        actor,
        hospital_id=floor.hospital_b,
        patient_id=floor.users["patient_5"],
        bed_resource_id=floor.resources["b_icu"],
        room_number="ICU-1",
        physician_id=floor.profiles["physician_b"],
    )
    (entry,) = audit_rows(db_session, actor.user_id, "patient_admitted")
    assert entry.hospital_id == floor.hospital_b
    assert resource_counts(db_session, floor.resources["b_icu"])[:4] == (2, 1, 1, 0)


def _admit_funke(db, floor, **changes):
    values = {
        "hospital_id": floor.hospital_a,
        "patient_id": floor.users["patient_5"],
        "bed_resource_id": floor.resources["a_general"],
        "room_number": "A1-03",
        "physician_id": floor.profiles["physician_a"],
        "notes": None,
        **changes,
    }
    return admission_commands.admit(db, floor.actor("ha_a"), **values)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"patient_id": "no-such-user"}, NotFound, "That patient no longer exists"),
        ({"patient_id": "bad\x00id"}, NotFound, "That patient no longer exists"),
        ({"patient_id": "agent"}, InvalidInput, "Kemi Agent is not registered as a patient"),
        (
            {"patient_id": "patient_1"},
            InvalidInput,
            f"Amaka Eze is already admitted at {HOSPITAL_A} (General ward beds, room A1-01) since",
        ),
        ({"patient_id": "patient_3"}, InvalidInput, f"Ngozi Obi is already admitted at {HOSPITAL_A} (waiting for"),
        ({"bed_resource_id": "b_general"}, InvalidInput, f"That is not a bed ward of {HOSPITAL_A}"),
        ({"bed_resource_id": "a_ventilators"}, InvalidInput, f"That is not a bed ward of {HOSPITAL_A}"),
        ({"bed_resource_id": "no-such-ward"}, InvalidInput, f"That is not a bed ward of {HOSPITAL_A}"),
        (
            {"bed_resource_id": "a_paediatric"},
            InvalidInput,
            f"No Paediatric beds are free at {HOSPITAL_A}. Pick another ward or add the patient to the "
            "waiting-for-bed list by admitting without a bed.",
        ),
        ({"physician_id": "physician_b"}, InvalidInput, f"That doctor is not a physician of {HOSPITAL_A}"),
        ({"physician_id": "patient_1"}, InvalidInput, f"That doctor is not a physician of {HOSPITAL_A}"),
        ({"room_number": "R" * 21}, InvalidInput, "The room number can be at most 20 characters; this has 21."),
        ({"notes": "n" * 1001}, InvalidInput, "The notes can be at most 1,000 characters; this has 1,001."),
        ({"notes": 42}, InvalidInput, "The notes must be text."),
        ({"hospital_id": "no-such-hospital"}, NotFound, "That hospital no longer exists."),
    ],
)
def test_admit_refuses_bad_input_in_a_sentence_and_writes_nothing(db_session, floor, changes, error, message):
    # Labels name the floor's rows: users for patients, resources for beds, profiles for physicians.
    rows_by_field = {"patient_id": floor.users, "bed_resource_id": floor.resources, "physician_id": floor.profiles}
    resolved = {k: rows_by_field[k].get(v, v) if k in rows_by_field else v for k, v in changes.items()}
    before, beds = written(db_session), all_bed_counts(db_session, floor)
    with pytest.raises(error) as refused:
        _admit_funke(db_session, floor, **resolved)
    assert str(refused.value).startswith(message)
    assert written(db_session) == before and all_bed_counts(db_session, floor) == beds


def test_admit_to_another_hospital_is_refused_and_audited(db_session, engine, floor):
    actor = floor.actor("ha_a")
    before = written(db_session)
    with pytest.raises(OutOfScope):
        _admit_funke(db_session, floor, hospital_id=floor.hospital_b, bed_resource_id=floor.resources["b_general"])
    assert written(db_session) == before
    assert "scope_violation" in refusals(engine, actor.user_id)


def test_an_executive_cannot_admit_discharge_or_move(db_session, engine, floor):
    actor = floor.actor("exec_a")
    amaka = floor.admissions["amaka_general"]
    with pytest.raises(NotPermitted, match="Executive"):
        admission_commands.admit(db_session, actor, hospital_id=floor.hospital_a, patient_id=floor.users["patient_5"])
    with pytest.raises(NotPermitted):
        admission_commands.discharge(db_session, actor, amaka)
    with pytest.raises(NotPermitted):
        admission_commands.transfer(
            db_session, actor, amaka, bed_resource_id=floor.resources["a_maternity"], room_number="M"
        )
    assert refusals(engine, actor.user_id).count("permission_denied") == 3
    assert admission_queries.list_admitted(db_session, floor.actor("ha_a")).total == 3


def test_discharge_refusals_write_nothing(db_session, engine, floor):
    ha_a = floor.actor("ha_a")
    amaka = floor.admissions["amaka_general"]
    before, beds = written(db_session), all_bed_counts(db_session, floor)
    with pytest.raises(InvalidInput, match="Musa Danjuma was already discharged on"):
        admission_commands.discharge(db_session, ha_a, floor.admissions["musa_discharged_a"])
    with pytest.raises(InvalidInput, match="cannot be in the future"):
        admission_commands.discharge(db_session, ha_a, amaka, discharged_at=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="cannot be before the admission"):
        admission_commands.discharge(db_session, ha_a, amaka, discharged_at=NOW - timedelta(days=3))
    with pytest.raises(InvalidInput, match="Enter the discharge date and time"):
        admission_commands.discharge(db_session, ha_a, amaka, discharged_at="yesterday")
    with pytest.raises(NotFound, match="That admission no longer exists"):
        admission_commands.discharge(db_session, ha_a, "no-such-admission")
    with pytest.raises(OutOfScope):
        admission_commands.discharge(db_session, ha_a, floor.admissions["musa_b"])
    assert "scope_violation" in refusals(engine, ha_a.user_id)
    assert written(db_session) == before and all_bed_counts(db_session, floor) == beds


def test_discharge_at_a_given_lagos_time(db_session, floor):
    yesterday_noon = datetime.combine(TODAY - timedelta(days=1), datetime.min.time()).replace(hour=12)
    row = admission_commands.discharge(
        db_session, floor.actor("ha_a"), floor.admissions["tunde_icu"], discharged_at=yesterday_noon
    )
    assert row.discharged_at == yesterday_noon.replace(tzinfo=LAGOS)
    assert row.days_so_far == pytest.approx((row.discharged_at - row.admitted_at).total_seconds() / 86400)
    assert resource_counts(db_session, floor.resources["a_icu"])[:4] == (4, 2, 2, 0)


def test_discharging_a_patient_waiting_for_a_bed_moves_no_counts(db_session, floor):
    before = all_bed_counts(db_session, floor)
    row = admission_commands.discharge(db_session, floor.actor("ha_a"), floor.admissions["ngozi_waiting"])
    assert row.status == "discharged" and all_bed_counts(db_session, floor) == before


# --- transfer -------------------------------------------------------------------------------------------


def test_transfer_moves_the_bed_between_wards_and_is_audited(db_session, floor):
    actor = floor.actor("ha_a")
    row = admission_commands.transfer(
        db_session,
        actor,
        floor.admissions["amaka_general"],
        bed_resource_id=floor.resources["a_maternity"],
        room_number="M1-04",
    )
    assert (row.ward, row.room_number, row.status) == ("Maternity beds", "M1-04", "admitted")
    assert resource_counts(db_session, floor.resources["a_general"])[:4] == (10, 6, 3, 1)
    assert resource_counts(db_session, floor.resources["a_maternity"]) == (6, 1, 5, 0, "limited")
    (entry,) = audit_rows(db_session, actor.user_id, "patient_moved")
    assert entry.old_values == {
        "bed_resource_id": floor.resources["a_general"],
        "ward": "General ward beds",
        "room_number": "A1-01",
    }
    assert entry.new_values["ward"] == "Maternity beds" and entry.hospital_id == floor.hospital_a


def test_transfer_within_a_ward_changes_only_the_room(db_session, floor):
    before = all_bed_counts(db_session, floor)
    row = admission_commands.transfer(
        db_session,
        floor.actor("ha_a"),
        floor.admissions["amaka_general"],
        bed_resource_id=floor.resources["a_general"],
        room_number="A2-11",
    )
    assert (row.ward, row.room_number) == ("General ward beds", "A2-11")
    assert all_bed_counts(db_session, floor) == before


def test_transfer_gives_a_waiting_patient_a_bed(db_session, floor):
    row = admission_commands.transfer(
        db_session,
        floor.actor("ha_a"),
        floor.admissions["ngozi_waiting"],
        bed_resource_id=floor.resources["a_icu"],
        room_number="ICU1-05",
    )
    assert row.ward == "ICU beds"
    assert resource_counts(db_session, floor.resources["a_icu"]) == (4, 0, 4, 0, "unavailable")
    assert admission_queries.waiting_for_bed(db_session, floor.actor("ha_a")) == []


@pytest.mark.parametrize(
    ("admission", "bed", "room", "error", "message"),
    [
        ("amaka_general", "a_general", "A1-01", InvalidInput, "Amaka Eze is already in General ward beds, room A1-01"),
        ("amaka_general", "a_paediatric", "P1-01", InvalidInput, f"No Paediatric beds are free at {HOSPITAL_A}."),
        ("amaka_general", "b_general", "B1-01", InvalidInput, f"That is not a bed ward of {HOSPITAL_A}"),
        ("amaka_general", "a_oxygen", "A1-01", InvalidInput, f"That is not a bed ward of {HOSPITAL_A}"),
        ("amaka_general", None, "A1-01", InvalidInput, "Pick the ward to move Amaka Eze to."),
        ("amaka_general", "a_maternity", "M" * 21, InvalidInput, "The room number can be at most 20 characters"),
        ("musa_discharged_a", "a_maternity", "M1-01", InvalidInput, "Musa Danjuma was already discharged"),
        ("musa_b", "b_icu", "ICU-2", OutOfScope, "another hospital"),
        ("gone", "a_maternity", "M1-01", NotFound, "That admission no longer exists."),
    ],
)
def test_transfer_refusals_write_nothing(db_session, floor, admission, bed, room, error, message):
    before, beds = written(db_session), all_bed_counts(db_session, floor)
    with pytest.raises(error) as refused:
        admission_commands.transfer(
            db_session,
            floor.actor("ha_a"),
            floor.admissions.get(admission, admission),
            bed_resource_id=floor.resources.get(bed, bed),
            room_number=room,
        )
    assert message in str(refused.value)
    assert written(db_session) == before and all_bed_counts(db_session, floor) == beds


def test_resource_counts_cannot_free_a_bed_a_patient_holds_after_admit(db_session, floor):
    admission_commands.admit(
        db_session,
        floor.actor("ha_b"),
        hospital_id=floor.hospital_b,
        patient_id=floor.users["patient_5"],
        bed_resource_id=floor.resources["b_icu"],
        room_number="ICU-1",
    )
    with pytest.raises(InvalidInput, match="ICU beds in use cannot go below 1"):
        resource_commands.update_quantities(
            db_session, floor.actor("ha_b"), floor.resources["b_icu"], total=2, available=2, in_use=0, maintenance=0
        )


# --- Two administrators, one last bed ---------------------------------------------------------------------


def _race(engine, first_command, second_command) -> tuple[object, object, bool]:
    """Run `first_command` in an open transaction, start `second_command` on another connection, then commit
    the first. Returns both outcomes ("done" or the refusal's sentence) and whether the second had to wait.

    Whatever fails, the first transaction is ended and the second thread joined, so the committed rows
    can be cleaned up afterwards.
    """
    outcomes: list[object] = [None, None]

    def run(slot: int, command, db: Session) -> None:
        try:
            command(db)
            outcomes[slot] = "done"
        except InvalidInput as exc:
            outcomes[slot] = str(exc)

    def second() -> None:
        with Session(engine) as db, db.begin():
            run(1, second_command, db)

    first = Session(engine)
    racer = threading.Thread(target=second)
    try:
        first.begin()
        run(0, first_command, first)
        racer.start()
        racer.join(timeout=0.5)
        waited = racer.is_alive()  # blocked behind the first transaction's row lock
        first.commit()
    finally:
        first.close()
        if racer.ident is not None:
            racer.join(timeout=10)
    return outcomes[0], outcomes[1], waited


def test_the_last_free_bed_cannot_be_taken_twice(engine):
    """Two sessions admit two patients to a ward with one free bed: exactly one gets it."""
    admin = Actor("race-admin", UserRole.ADMIN, None)
    with hospital_floor.committed_ward(engine, free_beds=1, patients=2) as ward:

        def admit(patient_id):
            return lambda db: admission_commands.admit(
                db, admin, hospital_id=ward.hospital_id, patient_id=patient_id, bed_resource_id=ward.bed_id
            )

        first, second, waited = _race(engine, admit(ward.patients[0]), admit(ward.patients[1]))
        assert waited and first == "done"
        assert second.startswith("No General ward beds are free at Concurrency Test Hospital")
        with Session(engine) as db:
            assert resource_counts(db, ward.bed_id)[:4] == (4, 0, 4, 0)
            admitted = db.scalar(select(func.count()).where(HospitalPatient.hospital_id == ward.hospital_id))
            assert admitted == 1


def test_two_admissions_of_one_patient_cannot_cross(engine):
    """The same patient admitted twice at once to one hospital: the second waits, sees the first and refuses."""
    admin = Actor("race-admin", UserRole.ADMIN, None)
    with hospital_floor.committed_ward(engine, free_beds=2, patients=1) as ward:

        def admit(db):
            admission_commands.admit(db, admin, hospital_id=ward.hospital_id, patient_id=ward.patients[0])

        first, second, waited = _race(engine, admit, admit)
        assert waited and first == "done"
        assert "is already admitted at Concurrency Test Hospital" in second


# --- The demo's admissions hold beds ---------------------------------------------------------------------


class _CapturingWriter:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}

    def write(self, table, columns, rows):
        self.rows.setdefault(table, []).extend(dict(zip(columns, row, strict=True)) for row in rows)

    def finish(self, *tables):
        pass


@pytest.mark.parametrize("scale", [0.05, 1])
def test_current_demo_admissions_hold_a_bed_their_ward_counts_in_use(scale):
    from db.demo.clock import DemoClock
    from db.demo.hospitals import WARD_BEDS, write_hospital_operations
    from db.demo.network import build_network
    from db.demo.plan import plan_for

    network = build_network(plan_for(scale), DemoClock(date(2026, 3, 15)), 2026, "not-a-hash")
    writer = _CapturingWriter()
    write_hospital_operations(network, writer)
    beds = {r["id"]: r for r in writer.rows["hospital_resources"]}
    current = [a for a in writer.rows["hospital_patients"] if a["status"] == "admitted"]
    assert current and all(a["discharge_date"] is None for a in current)
    held = Counter(a["bed_resource_id"] for a in current if a["bed_resource_id"] is not None)
    for admission in current:
        if admission["bed_resource_id"] is None:
            assert admission["room_number"] is None
            continue
        bed = beds[admission["bed_resource_id"]]
        ward = admission["room_number"].split("-")[0].rstrip("0123456789")
        assert (bed["hospital_id"], bed["category"], bed["name"]) == (admission["hospital_id"], "beds", WARD_BEDS[ward])
    for resource_id, patients in held.items():
        bed = beds[resource_id]
        assert bed["in_use_quantity"] >= patients
    for bed in beds.values():
        assert bed["available_quantity"] + bed["in_use_quantity"] + bed["maintenance_quantity"] == bed["total_quantity"]
        assert min(bed["available_quantity"], bed["in_use_quantity"], bed["maintenance_quantity"]) >= 0
    if scale == 1:  # enough admissions for the share to show: about 1 in 15 waits for a bed
        waiting = sum(a["bed_resource_id"] is None for a in current)
        assert 0.02 * len(current) <= waiting <= 0.15 * len(current)


# --- One open admission per patient in the network (migration 0007) ---------------------------------------

ELSEWHERE = "is already admitted at another hospital; they must be discharged or transferred there first."


def test_the_open_admission_index_is_unique_and_partial(db_session):
    definition = db_session.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_hospital_patients_open_admission'")
    )
    assert definition == (
        "CREATE UNIQUE INDEX uq_hospital_patients_open_admission ON public.hospital_patients USING btree "
        "(patient_id) WHERE ((status = ANY (ARRAY['admitted'::text, 'active'::text])) AND (discharge_date IS NULL))"
    )


def test_a_raw_second_open_admission_fails_and_a_closed_one_does_not_count(db_session):
    from sqlalchemy.exc import IntegrityError

    from tests.fixtures import valid_rows

    first = valid_rows.create(db_session, "hospital_patients", status="admitted")
    patient = first["patient_id"]

    def another(**values):
        return valid_rows.create(db_session, "hospital_patients", patient_id=patient, **values)

    # Another hospital, or the document's default status "active": still a second open admission.
    for status in ("admitted", "active"):
        with pytest.raises(IntegrityError, match="uq_hospital_patients_open_admission"), db_session.begin_nested():
            another(status=status)
    # Closed admissions do not count: discharged, transferred, or with a discharge date whatever the status.
    another(status="discharged", discharge_date=datetime.now(UTC))
    another(status="transferred", discharge_date=datetime.now(UTC))
    another(status="admitted", admission_date=NOW - timedelta(days=3), discharge_date=NOW - timedelta(days=2))
    # Once the first is discharged, the patient may be admitted again.
    db_session.execute(
        text("UPDATE hospital_patients SET status = 'discharged', discharge_date = now() WHERE id = :id"),
        {"id": first["id"]},
    )
    another(status="active")


def test_the_upgrade_refuses_existing_open_admission_clashes_and_changes_nothing(fresh_database):
    from db import migrate
    from db.engine import make_engine
    from db.errors import CommandError
    from tests.fixtures import valid_rows

    engine = make_engine(fresh_database)
    try:
        migrate.upgrade(engine, "0006")
        with Session(engine) as db, db.begin():
            first = valid_rows.create(db, "hospital_patients", status="admitted")
            clash = valid_rows.create(db, "hospital_patients", patient_id=first["patient_id"], status="active")
            valid_rows.create(
                db,
                "hospital_patients",
                patient_id=first["patient_id"],
                status="discharged",
                discharge_date=datetime.now(UTC),
            )  # closed: not a clash
        with pytest.raises(CommandError) as refused:
            migrate.upgrade(engine, "0007")
        message = str(refused.value)
        assert message.startswith("Cannot add the one-open-admission index: 1 patient(s) already have more than one")
        assert "(2 admissions in all)" in message and "SELECT patient_id" in message
        assert "run the upgrade again" in message
        assert migrate.current_revision(engine) == "0006"
        with Session(engine) as db, db.begin():
            statuses = db.scalars(text("SELECT status FROM hospital_patients ORDER BY status")).all()
            assert statuses == ["active", "admitted", "discharged"]  # nothing discharged or deleted
            assert db.scalar(text("SELECT to_regclass('uq_hospital_patients_open_admission')")) is None
            db.execute(
                text("UPDATE hospital_patients SET status = 'discharged', discharge_date = now() WHERE id = :id"),
                {"id": clash["id"]},
            )
        migrate.upgrade(engine, "0007")
        assert migrate.current_revision(engine) == "0007"
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT to_regclass('uq_hospital_patients_open_admission')")) is not None
        migrate.downgrade(engine, "0006")
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT to_regclass('uq_hospital_patients_open_admission')")) is None
    finally:
        engine.dispose()


@pytest.mark.parametrize("who", ["ha_a", "admin"])
def test_a_patient_admitted_at_another_hospital_is_refused_and_nothing_is_written(db_session, floor, who):
    """Musa is in B. A's administrator cannot see B's admissions (the index refuses); the network's can."""
    before, beds = written(db_session), all_bed_counts(db_session, floor)
    with pytest.raises(InvalidInput) as refused:
        admission_commands.admit(
            db_session,
            floor.actor(who),
            hospital_id=floor.hospital_a,
            patient_id=floor.users["patient_4"],
            bed_resource_id=floor.resources["a_general"],
            room_number="A1-05",
            notes="Readmitted",
        )
    assert str(refused.value) == f"Musa Danjuma {ELSEWHERE}"
    assert HOSPITAL_B not in str(refused.value)
    assert written(db_session) == before and all_bed_counts(db_session, floor) == beds
    assert audit_rows(db_session, floor.users[who], "patient_admitted") == []
    # The session is still usable, and the patient still has his one admission, at B.
    open_ones = db_session.scalars(
        select(HospitalPatient.hospital_id).where(
            HospitalPatient.patient_id == floor.users["patient_4"], HospitalPatient.discharge_date.is_(None)
        )
    ).all()
    assert open_ones == [floor.hospital_b]


def test_under_row_level_security_a_hospital_admin_is_refused_without_seeing_the_other_hospital(db_session, floor):
    """As the dashboard runs: a role held to the policies, scoped to hospital A. B's admission is invisible."""
    from db.row_scope import apply_scope

    role = f"hd_rls_{floor.hospital_a[:8].lower()}".replace("-", "_")
    db_session.execute(text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
    db_session.execute(text(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"))
    before, beds = written(db_session), all_bed_counts(db_session, floor)
    db_session.execute(text(f"SET LOCAL ROLE {role}"))
    apply_scope(db_session, floor.hospital_a)
    try:
        assert not db_session.scalar(
            select(func.count()).where(
                HospitalPatient.patient_id == floor.users["patient_4"], HospitalPatient.discharge_date.is_(None)
            )
        )
        with pytest.raises(InvalidInput) as refused:
            admission_commands.admit(
                db_session,
                floor.actor("ha_a"),
                hospital_id=floor.hospital_a,
                patient_id=floor.users["patient_4"],
                bed_resource_id=floor.resources["a_general"],
            )
        assert str(refused.value) == f"Musa Danjuma {ELSEWHERE}"
    finally:
        db_session.execute(text("RESET ROLE"))
    assert written(db_session) == before and all_bed_counts(db_session, floor) == beds


def test_transfer_keeps_the_one_open_admission(db_session, floor):
    admission_commands.transfer(
        db_session,
        floor.actor("ha_a"),
        floor.admissions["ngozi_waiting"],
        bed_resource_id=floor.resources["a_maternity"],
        room_number="M1-07",
    )
    open_ones = db_session.scalars(
        select(HospitalPatient.id).where(
            HospitalPatient.patient_id == floor.users["patient_3"], HospitalPatient.discharge_date.is_(None)
        )
    ).all()
    assert open_ones == [floor.admissions["ngozi_waiting"]]


def test_one_patient_admitted_at_two_hospitals_at_once_is_admitted_once(engine):
    """Two hospitals' administrators admit the same patient at the same moment: exactly one wins."""
    with (
        hospital_floor.committed_ward(engine, free_beds=2, patients=1) as first_ward,
        hospital_floor.committed_ward(engine, free_beds=2, patients=0) as second_ward,
    ):
        patient = first_ward.patients[0]
        wards = [first_ward, second_ward]
        start = threading.Barrier(2)
        outcomes: list[object] = [None, None]

        def admit(slot: int) -> None:
            ward = wards[slot]
            actor = Actor(f"race-ha-{slot}", UserRole.HOSPITAL_ADMIN, ward.hospital_id)
            try:
                with Session(engine) as db, db.begin():
                    start.wait(timeout=10)
                    admission_commands.admit(
                        db, actor, hospital_id=ward.hospital_id, patient_id=patient, bed_resource_id=ward.bed_id
                    )
                outcomes[slot] = "done"
            except InvalidInput as exc:
                outcomes[slot] = str(exc)
            except Exception as exc:  # reported by the assertion below
                outcomes[slot] = exc

        threads = [threading.Thread(target=admit, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)
        assert sorted(outcomes, key=str) == ["Race Patient 0 " + ELSEWHERE, "done"], outcomes
        winner = outcomes.index("done")
        with Session(engine) as db:
            admitted = db.scalars(
                select(HospitalPatient.hospital_id).where(HospitalPatient.patient_id == patient)
            ).all()
            assert admitted == [wards[winner].hospital_id]
            assert resource_counts(db, wards[winner].bed_id)[:4] == (5, 1, 4, 0)
            assert resource_counts(db, wards[1 - winner].bed_id)[:4] == (5, 2, 3, 0)
