"""The network by state (overview/states.py, governance/hospital_location.py, migration 0021) on a real PostgreSQL.

One module-wide transaction, rolled back at the end, holds four hospitals: two in Lagos (one verified), one in
Osun (pending: a state with hospitals and none verified) and one with no state. Each state's figures must be the
sum of its hospitals' and, over the states, the network's figure from its own catalogue source (beds, revenue this
month, compliance score); a hospital's user sees its own state only; roles that do not read finances or
emergencies get no such figure; the form's command refuses a wrong LGA in a sentence and writes nothing.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import naija_data
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.floor import bed_figures
from dashboard.domains.governance import compliance_scores, hospital_location
from dashboard.domains.money import month_figures
from dashboard.domains.overview import overview_states_map_page, states
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import InvalidInput, NotPermitted
from dashboard.platform.formatting import LAGOS
from db.base import UserRole
from db.demo.geography import CITIES, CITY_LGAS, UNVERIFIED_STATE, hospital_sites
from db.models import (
    AuditLog,
    EmergencyRequest,
    Hospital,
    HospitalComplianceTracking,
    HospitalFinancialData,
    HospitalResource,
    NigerianLga,
    User,
)

TODAY = datetime.now(LAGOS).date()
MONTH = f"{TODAY:%Y-%m}"


def who(role: UserRole, hospital_id: str | None = None) -> Actor:
    user_id = f"{role.value.lower()}-{secrets.token_hex(3)}"
    return Actor(user_id, role, hospital_id, ClientInfo(session_id=f"session-{user_id}"))


@pytest.fixture(scope="module")
def world(engine):
    with engine.connect() as conn:
        outer = conn.begin()
        db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        patient = User(email=f"states-{secrets.token_hex(3)}@example.test", password="x")
        db.add(patient)
        ids = {}
        booked = datetime.now(UTC) - timedelta(minutes=5)
        # label: (state, lga, status, beds (total, in use, maintenance), revenue, score, open, closed emergencies)
        plan = {
            "alpha": ("Lagos", "Ikeja", "verified", (10, 6, 1), Decimal("1000000.00"), 80, 0, 1),
            "beta": ("Lagos", "Surulere", "pending", (20, 10, 0), Decimal("500000.50"), 60, 2, 0),
            "gamma": ("Osun", "Osogbo", "pending", (5, 5, 0), None, None, 1, 1),
            "nowhere": (None, None, "verified", (4, 1, 0), Decimal("250.25"), 90, 0, 0),
        }
        for label, (state, lga, status, beds, revenue, score, open_, closed) in plan.items():
            name = f"States {label.title()} Hospital"
            hospital = Hospital(name=name, state=state, lga=lga, verification_status=status)
            db.add(hospital)
            db.flush()
            ids[label] = hospital.id
            total, in_use, maintenance = beds
            db.add(HospitalResource(hospital_id=hospital.id, name="General ward", category="beds", total_quantity=total,
                                    in_use_quantity=in_use, maintenance_quantity=maintenance,
                                    available_quantity=total - in_use - maintenance))  # fmt: skip
            if revenue is not None:
                for kind, amount in (("revenue", revenue), ("expense", Decimal("999.00"))):
                    db.add(HospitalFinancialData(hospital_id=hospital.id, transaction_type=kind, amount=amount,
                                                 category="Consultations", fiscal_month=MONTH,
                                                 transaction_date=booked))  # fmt: skip
            if score is not None:
                db.add(HospitalComplianceTracking(hospital_id=hospital.id, compliance_type="Infection control",
                                                  status="compliant", score=score))  # fmt: skip
            for number, status_ in ((open_, "pending"), (closed, "resolved")):
                for _ in range(number):
                    db.add(EmergencyRequest(patient_id=patient.id, emergency_type="Road accident", status=status_,
                                            hospital_id=hospital.id))  # fmt: skip
        db.flush()
        yield db, ids
        db.close()
        outer.rollback()


def by_state(rows) -> dict:
    return {r.state: r for r in rows}


def test_each_state_is_the_sum_of_its_hospitals_and_the_states_sum_to_the_network(world):
    db, ids = world
    admin = who(UserRole.ADMIN)
    rows = states.state_figures(db, admin, today=TODAY)
    found = by_state(rows)
    lagos = found["Lagos"]
    assert (lagos.hospitals, lagos.verified_hospitals) == (2, 1)
    hospitals = states.hospitals_in_state(db, admin, "Lagos", today=TODAY)
    ours = [h for h in hospitals if h.hospital_id in (ids["alpha"], ids["beta"])]
    assert [h.hospital_name for h in ours] == ["States Alpha Hospital", "States Beta Hospital"]
    assert [h.lga for h in ours] == ["Ikeja", "Surulere"]
    # Every figure of the state is the sum of its hospitals' (the same query, grouped).
    for field in ("beds_in_use", "beds_usable", "score_sum", "scores", "open_emergencies", "verified_hospitals"):
        assert getattr(lagos, field) == sum(getattr(h, field) for h in hospitals), field
    assert lagos.revenue == sum((h.revenue or 0) for h in hospitals)
    assert lagos.hospitals == len(hospitals)
    # Over every state, each figure is the network's own catalogued figure from its own source.
    beds = bed_figures.bed_totals(db, admin)
    assert sum(r.beds_in_use for r in rows) == beds.in_use
    assert sum(r.beds_usable for r in rows) == beds.usable
    revenue = month_figures.month_to_date(db, admin, today=TODAY).revenue.now
    assert sum((r.revenue or 0) for r in rows) == revenue
    summary = compliance_scores.summary(db, admin, today=TODAY)
    assert sum(r.score_sum for r in rows) / sum(r.scores for r in rows) == pytest.approx(summary.average_score)
    held_open = db.scalar(select(func.count()).where(EmergencyRequest.status.in_(states.OPEN_STATUSES),
                                                     EmergencyRequest.hospital_id.is_not(None)))  # fmt: skip
    assert sum(r.open_emergencies for r in rows) == held_open
    # Ours in figures a reader can check by hand: 16 of 29 usable beds in use, 1,500,000.50 booked.
    assert (ours[0].beds_in_use + ours[1].beds_in_use, ours[0].beds_usable + ours[1].beds_usable) == (16, 29)
    assert ours[0].revenue + ours[1].revenue == Decimal("1500000.50")
    assert (ours[0].compliance_score, ours[1].open_emergencies) == (80, 2)


def test_a_state_with_hospitals_and_none_verified_and_hospitals_with_no_state(world):
    db, ids = world
    found = by_state(states.state_figures(db, who(UserRole.ADMIN), today=TODAY))
    assert found["Osun"].verified_hospitals == 0 and found["Osun"].hospitals >= 1
    assert found["Osun"].compliance_score is None  # no assessment: no figure, never a zero
    assert found[states.NOT_RECORDED].hospitals >= 1
    # The map colours Osun by its figure and leaves a state with no hospital pale.
    fig = overview_states_map_page.state_map([found["Osun"], found["Lagos"]], "state_open_emergencies")
    coloured, pale = fig.data[1], fig.data[0]
    assert set(coloured.locations) == {"OS", "LA"} and "OY" in pale.locations
    assert len(coloured.locations) + len(pale.locations) == 37
    assert fig.layout.map.style == "white-bg"


def test_a_hospitals_user_sees_its_own_state_only_and_a_foreign_state_is_empty(world):
    db, ids = world
    alpha_admin = who(UserRole.HOSPITAL_ADMIN, ids["alpha"])
    rows = states.state_figures(db, alpha_admin, today=TODAY)
    assert [(r.state, r.hospitals, r.beds_in_use, r.revenue) for r in rows] == [("Lagos", 1, 6, Decimal("1000000.00"))]
    assert [h.hospital_id for h in states.hospitals_in_state(db, alpha_admin, "Lagos", today=TODAY)] == [ids["alpha"]]
    assert states.hospitals_in_state(db, alpha_admin, "Osun", today=TODAY) == []
    with pytest.raises(InvalidInput, match="not one of Nigeria's 36 states"):
        states.hospitals_in_state(db, alpha_admin, "Lagos State", today=TODAY)


def test_roles_that_do_not_read_money_or_emergencies_get_no_such_figure(world):
    db, _ = world
    officer = who(UserRole.COMPLIANCE_OFFICER)
    lagos = by_state(states.state_figures(db, officer, today=TODAY))["Lagos"]
    assert lagos.revenue is None and lagos.open_emergencies is None and lagos.scores >= 2
    assert states.metrics_for(officer) == ["state_bed_occupancy", "state_compliance_score"]
    assert states.metrics_for(who(UserRole.ADMIN)) == list(states.METRICS)


def test_setting_a_hospitals_state_and_lga_is_checked_and_audited(world):
    db, ids = world
    admin = who(UserRole.ADMIN)
    with db.begin_nested():
        with pytest.raises(InvalidInput, match="Ikeja is not a local government area of Osun"):
            hospital_location.set_location(db, admin, ids["nowhere"], state="Osun", lga="Ikeja")
        with pytest.raises(InvalidInput, match="not one of Nigeria's 36 states"):
            hospital_location.set_location(db, admin, ids["nowhere"], state="Lagoss", lga="Ikeja")
        with pytest.raises(InvalidInput, match="Pick the local government area in Kano"):
            hospital_location.set_location(db, admin, ids["nowhere"], state="Kano", lga="")
        assert db.get(Hospital, ids["nowhere"]).state is None  # nothing half-written
        with pytest.raises(NotPermitted):
            hospital_location.set_location(db, who(UserRole.HOSPITAL_ADMIN, ids["nowhere"]), ids["nowhere"],
                                           state="Kano", lga="Fagge")  # fmt: skip
        placed = hospital_location.set_location(db, admin, ids["nowhere"], state="Federal Capital Territory",
                                                 lga="Abuja Municipal")  # fmt: skip
        assert placed.words == "Abuja Municipal LGA, Federal Capital Territory"
        row = db.scalars(select(AuditLog).where(AuditLog.action_type == "hospital_location_changed",
                                                AuditLog.resource_id == ids["nowhere"])).one()  # fmt: skip
        assert row.new_values == {"state": "Federal Capital Territory", "lga": "Abuja Municipal"}
        assert row.old_values == {"state": None, "lga": None}
        with pytest.raises(InvalidInput, match="already recorded"):
            hospital_location.set_location(db, admin, ids["nowhere"], state="Federal Capital Territory",
                                           lga="Abuja Municipal")  # fmt: skip
        db.rollback()


def test_the_database_holds_the_lga_to_its_state(world):
    db, ids = world
    assert db.scalar(select(func.count()).select_from(NigerianLga)) == 774
    assert db.scalar(select(func.count(func.distinct(NigerianLga.state)))) == 37
    with db.begin_nested(), pytest.raises(IntegrityError):  # Ikeja is in Lagos, not in Kano
        db.add(Hospital(name="Wrong pair", state="Kano", lga="Ikeja"))
        db.flush()


def test_every_demo_hospital_stands_in_a_real_state_and_lga_and_one_state_has_none_verified():
    names = {s.name for s in naija_data.states()}
    for city in CITIES:
        state = naija_data.get_state(city.state)
        assert state is not None and state.name in names, city.name
        assert set(CITY_LGAS[city.name]) <= {lga.name for lga in naija_data.lgas(state)}, city.name
    sites = hospital_sites(60)
    assert all(site.lga in CITY_LGAS[site.city.name] for site in sites)
    assert any(site.city.state == UNVERIFIED_STATE for site in hospital_sites(20))
    outlines = overview_states_map_page.state_outlines()
    assert {f["properties"]["name"] for f in outlines["features"]} == names
