"""Peers (dashboard/domains/overview/peers.py): the medians of a small network, widening, and what a hospital sees.

A database of its own with its own two roles (as tests/governance/test_licences.py): the owner fills it, and
every service call runs as the least-privilege app role under its actor's scope, one transaction each, as
data.call does. The network, November 2026:

- General hospitals, 20 beds each: G1 (occupancy 50%, stays 2 and 6 days, no-shows 2 of 4, score 40, ₦200,000),
  G2 (60%, a 3-day stay, 0 of 2, 80, ₦400,000), G3 (70%, no stay, 1 of 4, 85, ₦600,000), G4 (90%, nothing but
  beds and a score of 90). Medians: 65%, 3.5 days, 25%, 82.5, ₦20,000 a bed. G1 lags on all five.
- Teaching hospitals T1 (20 beds, 50%), T2 (30, 50%), T3 (60 beds, 75%): no band holds 3, so all three are one
  group (widened), median 50%.
- Private clinics P1, P2: too few to compare. U1 has no type; I1 (general, 20 beds, 0%) is inactive.
"""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from sqlalchemy.orm import Session

from dashboard.domains.appointments import appointment_figures
from dashboard.domains.floor import admission_queries, bed_figures
from dashboard.domains.governance import compliance_scores
from dashboard.domains.money import hospital_ledger
from dashboard.domains.overview import peers
from dashboard.platform.errors import NotPermitted
from db.base import UserRole
from db.row_scope import current_scope
from tests.fixtures.secured import SecuredDatabase, call, who
from tests.fixtures.valid_rows import create, insert

START, END = date(2026, 11, 1), date(2026, 11, 30)
# label: (type, beds, in use, stays in days, (no-shows, completed), compliance score, November revenue)
NETWORK = {
    "G1": ("general", 20, 10, (2, 6), (2, 2), 40, 200_000),
    "G2": ("general", 20, 12, (3,), (0, 2), 80, 400_000),
    "G3": ("general", 20, 14, (), (1, 3), 85, 600_000),
    "G4": ("general", 20, 18, (), (0, 0), 90, None),
    "T1": ("teaching", 20, 10, (), (0, 0), None, None),
    "T2": ("teaching", 30, 15, (), (0, 0), None, None),
    "T3": ("teaching", 60, 45, (), (0, 0), None, None),
    "P1": ("private_clinic", 10, 5, (), (0, 0), None, None),
    "P2": ("private_clinic", 12, 6, (), (0, 0), None, None),
    "U1": (None, 20, 10, (), (0, 0), None, None),
    "I1": ("general", 20, 0, (), (0, 0), 10, None),
}
NAMES = {label: f"{label} Hospital" for label in NETWORK}


def _row(session: Session, table: str, **values) -> str:
    """Insert one row with exactly these values (valid_rows.create would add a parent hospital of its own)."""
    values = {"id": f"{table}-{secrets.token_hex(5)}", **values}
    insert(session, table, values)
    return values["id"]


def _fill(session: Session) -> dict[str, str]:
    ids = {}
    for label, (kind, beds, in_use, stays, (no_shows, completed), score, revenue) in NETWORK.items():
        hid = ids[label] = _row(session, "hospitals", name=NAMES[label], facility_type=kind, is_active=label != "I1")
        _row(session, "hospital_resources", hospital_id=hid, name="General ward", category="beds", total_quantity=beds,
             available_quantity=beds - in_use, in_use_quantity=in_use, maintenance_quantity=0)  # fmt: skip
        for days in stays:
            _row(session, "hospital_patients", hospital_id=hid, patient_id=create(session, "users")["id"],
                 status="discharged", admission_date="2026-11-10T08:00:00+01:00",
                 discharge_date=f"2026-11-{10 + days:02d}T08:00:00+01:00")  # fmt: skip
        for n, status in enumerate(["no_show"] * no_shows + ["completed"] * completed):
            _row(session, "appointments", hospital_id=hid, status=status, appointment_time="09:00",
                 patient_id=create(session, "users")["id"],
                 physician_id=create(session, "profiles", role="PHYSICIAN")["id"],
                 appointment_date=f"2026-11-{5 + n:02d}T09:00:00+01:00")  # fmt: skip
        if score is not None:
            _row(session, "hospital_compliance_tracking", hospital_id=hid, compliance_type="fire_safety",
                 score=score, status="compliant", last_assessment_date="2026-11-03T10:00:00+01:00")  # fmt: skip
        if revenue is not None:
            _row(session, "hospital_financial_data", hospital_id=hid, transaction_type="revenue",
                 category="consultations", amount=revenue, fiscal_month="2026-11",
                 transaction_date="2026-11-20T10:00:00+01:00")  # fmt: skip
    return ids


@pytest.fixture(scope="module")
def world(admin_url):
    db = SecuredDatabase.create(admin_url, prefix="healthdash_peers")
    with Session(db.owner) as session, session.begin():
        ids = _fill(session)
    yield {"app": db.app, "owner": db.owner, "ids": ids}
    db.drop()


@pytest.fixture(scope="module")
def network_view(world) -> peers.PeerView:
    return call(world, peers.peer_comparison, who(UserRole.EXECUTIVE, None), start=START, end=END)


def by_name(view: peers.PeerView) -> dict[str, peers.HospitalPeers]:
    return {h.hospital_name: h for h in view.hospitals}


def test_medians_gaps_and_standing_of_a_group_of_four(network_view):
    g1 = by_name(network_view)["G1 Hospital"]
    assert (g1.facility_type, g1.beds, g1.members, g1.widened) == ("general", 20, 4, False)
    assert g1.group_label == "General hospitals, under 50 beds"
    assert g1.short_group == "General, <50 beds (4)"
    medians = {c.figure: c.median for c in g1.comparisons}
    assert medians == pytest.approx({"bed_occupancy": 65.0, "average_stay": 3.5, "revenue_per_bed": 20_000.0,
                                     "no_show_rate": 25.0, "compliance_score": 82.5})  # fmt: skip
    values = {c.figure: c.value for c in g1.comparisons}
    assert values == pytest.approx({"bed_occupancy": 50.0, "average_stay": 4.0, "revenue_per_bed": 10_000.0,
                                    "no_show_rate": 50.0, "compliance_score": 40.0})  # fmt: skip
    assert g1.comparison("bed_occupancy").gap == pytest.approx(-15.0)
    assert [c.standing for c in g1.comparisons] == [peers.BEHIND] * 5  # a longer stay and more no-shows lag too
    assert g1.comparison("no_show_rate").peers_with_figure == 3  # G4 booked nothing: its NULL is left out
    g4 = by_name(network_view)["G4 Hospital"]
    assert g4.comparison("bed_occupancy").standing == peers.AHEAD
    assert g4.comparison("average_stay").standing == peers.NO_FIGURE
    assert network_view.hospitals[0].hospital_name == "G1 Hospital"  # the worst laggard first


def test_a_band_of_fewer_than_three_widens_to_the_type_and_a_type_of_fewer_is_not_compared(network_view):
    found = by_name(network_view)
    teaching = [found[f"T{n} Hospital"] for n in (1, 2, 3)]
    assert [(t.size_band, t.widened, t.members) for t in teaching] == [(0, True, 3), (0, True, 3), (1, True, 3)]
    assert {t.group_label for t in teaching} == {"Teaching hospitals, all sizes"}
    assert {t.comparison("bed_occupancy").median for t in teaching} == {50.0}
    clinic = found["P1 Hospital"]
    assert (clinic.members, clinic.compared) == (2, False)
    assert clinic.short_group == "Private clinic, all sizes (2: too few)"
    assert all(c.median is None and c.standing == peers.NO_FIGURE for c in clinic.comparisons)
    assert "U1 Hospital" not in found and "I1 Hospital" not in found  # no type; inactive (not in G's median)
    assert network_view.untyped == 1
    assert network_view.groups == 2


def test_each_value_is_the_figure_its_own_pages_show(world, network_view):
    """One truth: a hospital's row holds what its Resources, Admissions, Appointments, Compliance and Financials
    pages show for it (the catalogue's sources, called for that hospital's scope)."""
    for label in ("G1", "G2", "G3"):
        hid, row = world["ids"][label], by_name(network_view)[NAMES[label]]
        actor = who(UserRole.HOSPITAL_ADMIN, hid)
        beds = call(world, bed_figures.bed_totals, actor)
        stays = call(world, admission_queries.stay_figures, actor, start=START, end=END)
        rates = call(world, appointment_figures.figures, actor, start=START, end=END).totals
        score = call(world, compliance_scores.summary, actor).average_score
        revenue = call(world, hospital_ledger.hospital_totals, actor, start=START, end=END)
        assert row.comparison("bed_occupancy").value == pytest.approx(beds.occupancy)
        assert row.comparison("average_stay").value == pytest.approx(stays.average_stay_days)
        assert row.comparison("no_show_rate").value == pytest.approx(100 * rates.no_show_rate)
        assert row.comparison("compliance_score").value == pytest.approx(score)
        assert row.comparison("revenue_per_bed").value == pytest.approx(float(revenue[0].revenue) / beds.total)
        assert row.beds == beds.total


def test_a_hospital_admin_sees_its_own_figures_and_the_medians_only(world, network_view):
    g1_id = world["ids"]["G1"]
    actor = who(UserRole.HOSPITAL_ADMIN, g1_id)
    with Session(world["app"]) as session, session.begin():
        from db.row_scope import apply_scope

        apply_scope(session, g1_id, actor.user_id)
        view = peers.peer_comparison(session, actor, start=START, end=END)
        assert current_scope(session) == g1_id  # the network read's scope is gone with its savepoint
    assert [h.hospital_name for h in view.hospitals] == ["G1 Hospital"]
    assert view.hospitals[0] == by_name(network_view)["G1 Hospital"]  # the same medians as the network sees
    shown = repr(view)
    others = [n for label, n in NAMES.items() if label != "G1"] + [i for k, i in world["ids"].items() if k != "G1"]
    assert not [n for n in others if n in shown]
    # No other hospital's own figure: G2-G4's occupancy, scores and revenue per bed appear nowhere.
    for figure in ("60.0", "70.0", "90.0", "80.0", "85.0", "20000.0", "30000.0"):
        assert f"value={figure}" not in shown
    assert view.untyped == 0


def test_a_role_that_does_not_read_every_figure_is_refused(world):
    with pytest.raises(NotPermitted, match="compare hospitals with their peers"):
        call(world, peers.peer_comparison, who(UserRole.COMPLIANCE_OFFICER, None), start=START, end=END)


def test_size_bands():
    assert [peers.size_band(b) for b in (1, 49, 50, 149, 150, 399, 400, 2000)] == [0, 0, 1, 1, 2, 2, 3, 3]
