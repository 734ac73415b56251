"""Beds are held by patients: the census against the wards' counts; admit, discharge and transfer keep them equal.

Issue 18: Admissions said "In hospital now 7" while Resources & beds showed 97 of 115 beds in use,
two numbers nothing tied together. `bed_figures.bed_census` names the difference per ward, per
hospital and in total; `bed_figures.bed_totals` is the one source of the bed figures of every page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from dashboard.domains.floor import admission_commands, admission_queries, bed_figures, resource_commands, resource_list
from dashboard.platform.actors import Actor, ClientInfo
from db.base import UserRole
from db.models import Hospital, HospitalPatient, HospitalResource
from db.rules import CURRENT_ADMISSION_STATUSES
from tests.fixtures import hospital_floor
from tests.fixtures.hospital_floor import HOSPITAL_A, HOSPITAL_B

floor = hospital_floor.floor


def test_bed_census_names_the_beds_counted_in_use_with_no_admission_recorded(db_session, floor):
    census = bed_figures.bed_census(db_session, floor.actor("ha_a"))
    wards = {w.ward: w.beds for w in census.wards if w.resource_id is not None}
    # (total, counted in use, held by admissions, not recorded here)
    assert {name: (b.total, b.in_use, b.held, b.not_recorded) for name, b in wards.items()} == {
        "General ward beds": (10, 4, 1, 3),  # Amaka holds one; Musa's was given back at his discharge
        "ICU beds": (4, 3, 1, 2),
        "Isolation beds": (2, 0, 0, 0),
        "Maternity beds": (6, 4, 0, 4),
        "Paediatric beds": (4, 4, 0, 4),
    }
    (hospital,) = census.hospitals()
    assert (hospital.hospital_name, hospital.beds) == (HOSPITAL_A, census.total)
    assert (census.total.in_use, census.total.held, census.total.not_recorded) == (15, 2, 13)
    # In hospital now: the two holding beds and Ngozi, admitted and waiting for one.
    assert (census.admitted, census.waiting_for_bed) == (3, 1)
    stay = admission_queries.stay_figures(
        db_session, floor.actor("ha_a"), start=datetime.now(UTC).date(), end=datetime.now(UTC).date()
    )
    assert census.admitted == stay.current_census


def test_bed_census_of_the_network_has_a_subtotal_after_each_hospitals_wards(db_session, floor):
    census = bed_figures.bed_census(db_session, floor.actor("admin"))
    ours = [w for w in census.wards if w.hospital_name in (HOSPITAL_A, HOSPITAL_B)]
    assert [(w.hospital_name, w.ward) for w in ours if w.resource_id is None] == [
        (HOSPITAL_A, None),
        (HOSPITAL_B, None),
    ]
    last_of_a = max(i for i, w in enumerate(ours) if w.hospital_name == HOSPITAL_A)
    assert ours[last_of_a].resource_id is None  # the subtotal follows the wards it sums
    b = next(w.beds for w in ours if w.hospital_name == HOSPITAL_B and w.resource_id is None)
    assert (b.total, b.in_use, b.held, b.not_recorded) == (22, 10, 1, 9)
    subtotals = census.hospitals()
    assert census.total.in_use == sum(h.beds.in_use for h in subtotals)
    assert census.total.held == sum(h.beds.held for h in subtotals)


def test_bed_totals_leave_out_closed_hospitals_and_match_the_census(db_session, floor):
    actor = floor.actor("admin")
    before = bed_figures.bed_totals(db_session, actor)
    closed = Hospital(name="Closed Cottage Hospital", is_active=False)
    db_session.add(closed)
    db_session.flush()
    hospital_floor.add_resource(db_session, closed.id, ("c", "General ward beds", "beds", 50, 10, 40, 0, 1))
    after = bed_figures.bed_totals(db_session, actor)
    assert after == before == bed_figures.bed_census(db_session, actor).total
    beds = next(c for c in resource_list.category_summary(db_session, actor) if c.category == "beds")
    assert (beds.total, beds.available, beds.in_use) == (after.total, after.available, after.in_use)
    a = bed_figures.bed_totals(db_session, floor.actor("ha_a"))
    assert (a.available, a.in_use, a.usable) == (10, 15, 25)
    assert a.occupancy == pytest.approx(60.0)


def _check_beds_equal_admissions(db, hospital_id: str) -> dict[str, tuple[int, int]]:
    """Every bed resource of the hospital: in use equals the admissions holding it, and the counts add up."""
    db.expire_all()
    held = (
        select(func.count())
        .where(
            HospitalPatient.bed_resource_id == HospitalResource.id,
            HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES),
            HospitalPatient.discharge_date.is_(None),
        )
        .correlate(HospitalResource)
        .scalar_subquery()
    )
    rows = db.execute(
        select(
            HospitalResource.name,
            HospitalResource.in_use_quantity,
            held,
            HospitalResource.available_quantity
            + HospitalResource.in_use_quantity
            + HospitalResource.maintenance_quantity
            - HospitalResource.total_quantity,
        ).where(HospitalResource.hospital_id == hospital_id)
    ).all()
    for name, in_use, holding, off in rows:
        assert in_use == holding, f"{name}: {in_use} in use, {holding} admissions hold one"
        assert off == 0, f"{name}: counts do not add up"
    return {name: (in_use, holding) for name, in_use, holding, _ in rows}


def test_admit_discharge_and_transfer_keep_in_use_equal_to_the_admissions_holding_beds(db_session):
    db = db_session
    hospital = Hospital(name="Scripted Day Hospital", city="Ibadan", state="Oyo")
    db.add(hospital)
    db.flush()
    general = hospital_floor.add_resource(db, hospital.id, ("x", "General ward beds", "beds", 6, 5, 0, 1, 1))
    icu = hospital_floor.add_resource(db, hospital.id, ("x", "ICU beds", "beds", 2, 2, 0, 0, 1))
    patients = [
        hospital_floor.add_person(db, f"day{i}", UserRole.PATIENT, None, "Day", f"Patient {i}")[0] for i in range(4)
    ]
    clerk = hospital_floor.add_person(db, "clerk", UserRole.HOSPITAL_ADMIN, hospital.id, "Day", "Clerk")[0]
    actor = Actor(clerk, UserRole.HOSPITAL_ADMIN, hospital.id, ClientInfo(session_id="scripted-day"))
    _check_beds_equal_admissions(db, hospital.id)
    p0 = admission_commands.admit(db, actor, hospital_id=hospital.id, patient_id=patients[0], bed_resource_id=general)
    p1 = admission_commands.admit(db, actor, hospital_id=hospital.id, patient_id=patients[1], bed_resource_id=icu)
    p2 = admission_commands.admit(db, actor, hospital_id=hospital.id, patient_id=patients[2])  # waiting for a bed
    assert _check_beds_equal_admissions(db, hospital.id) == {"General ward beds": (1, 1), "ICU beds": (1, 1)}
    admission_commands.transfer(db, actor, p2.admission_id, bed_resource_id=general, room_number="G-2")  # gets a bed
    admission_commands.transfer(db, actor, p0.admission_id, bed_resource_id=icu, room_number=None)  # ward to ward
    admission_commands.transfer(db, actor, p0.admission_id, bed_resource_id=icu, room_number="ICU-1")  # room only
    assert _check_beds_equal_admissions(db, hospital.id) == {"General ward beds": (1, 1), "ICU beds": (2, 2)}
    admission_commands.discharge(db, actor, p1.admission_id)
    p3 = admission_commands.admit(db, actor, hospital_id=hospital.id, patient_id=patients[3], bed_resource_id=icu)
    admission_commands.discharge(db, actor, p2.admission_id)
    assert _check_beds_equal_admissions(db, hospital.id) == {"General ward beds": (0, 0), "ICU beds": (2, 2)}
    admission_commands.discharge(db, actor, p0.admission_id)
    admission_commands.discharge(db, actor, p3.admission_id)
    assert _check_beds_equal_admissions(db, hospital.id) == {"General ward beds": (0, 0), "ICU beds": (0, 0)}
    census = bed_figures.bed_census(db, actor)
    assert (census.total.in_use, census.total.held, census.total.not_recorded, census.admitted) == (0, 0, 0, 0)
    assert census.total.available == 7 and census.total.maintenance == 1


def test_a_ward_may_count_more_in_use_than_admitted_and_the_census_says_how_many(db_session, floor):
    actor = floor.actor("ha_a")
    resource_commands.update_quantities(
        db_session, actor, floor.resources["a_isolation"], total=2, available=0, in_use=2, maintenance=0
    )
    isolation = next(w for w in bed_figures.bed_census(db_session, actor).wards if w.ward == "Isolation beds")
    assert (isolation.beds.in_use, isolation.beds.held, isolation.beds.not_recorded) == (2, 0, 2)
