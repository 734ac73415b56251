"""One truth per figure, on the demo network at scale 1: every figure shown in two places reads the same.

For a network administrator and two hospitals' administrators, each figure the Overview shows equals
the one its own page shows (through the services those pages call), a chart's figures equal the
table or list beside them, an export holds the rows its page counts, and Analytics' daily reports
equal the operational tables. The demo's invariants (beds held by patients, nothing after now) hold
after the build and again after a scripted day of admits, discharges, transfers, bookings, calls and
referrals, after which the figures are compared once more.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dashboard.domains.appointments import appointment_figures, appointment_list, booking
from dashboard.domains.emergencies import open_list, referral_commands, referral_reads
from dashboard.domains.floor import (
    admission_commands,
    admission_queries,
    bed_figures,
    resource_list,
    waitlist_commands,
    waitlist_queue,
)
from dashboard.domains.governance import verification_figures
from dashboard.domains.money import month_figures, wallet_reconciliation
from dashboard.domains.overview import analytics, overview
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import ServiceError
from db import migrate
from db.base import UserRole
from db.demo import build_demo
from db.engine import make_engine
from db.models import HospitalPatient, PatientWaitlist, Profile, User
from tests.fixtures.throwaway import create_database, drop_database

HOSPITALS = ("lagos-1", "abuja-1")


@pytest.fixture(scope="module")
def demo(admin_url):
    url = create_database(admin_url, prefix="healthdash_agree")
    engine = make_engine(url)
    migrate.upgrade(engine)
    build_demo(engine, scale=1, progress=False)
    yield engine
    engine.dispose()
    drop_database(admin_url, url.database)


def _actor(db: Session, email: str) -> Actor:
    user_id, role, hospital_id = db.execute(
        select(User.id, Profile.role, Profile.hospital_id).join(Profile, Profile.user_id == User.id)
        .where(User.email == email)
    ).one()  # fmt: skip
    return Actor(user_id, UserRole(role), hospital_id)


@pytest.fixture(scope="module")
def actors(demo) -> dict[str, Actor]:
    with Session(demo) as db:
        found = {"network": _actor(db, "admin@demo.healthdash.ng")}
        for slug in HOSPITALS:
            found[slug] = _actor(db, f"hospital-admin.{slug}@demo.healthdash.ng")
    return found


def _today() -> date:
    return datetime.now(LAGOS).date()


def assert_figures_agree(db: Session, actor: Actor, who: str) -> None:
    """Every figure the Overview shows against the page that explains it, and each page against itself."""
    today = _today()
    shown = overview.overview_figures(db, actor, today=today)

    # Beds: the Overview's cards, Resources & beds' cards (category summary) and its census table.
    beds = bed_figures.bed_totals(db, actor)
    census = bed_figures.bed_census(db, actor)
    summary = next(c for c in resource_list.category_summary(db, actor) if c.category == "beds")
    assert shown.free_beds.value == beds.available == summary.available == census.total.available, who
    assert shown.bed_occupancy_percent.value == pytest.approx(beds.occupancy), who
    assert summary.utilisation == pytest.approx(beds.occupancy), who

    # In hospital now: Admissions' card, its list (and export), and the census on Resources & beds.
    stay = admission_queries.stay_figures(db, actor, start=today - timedelta(days=29), end=today)
    admitted_list = admission_queries.list_admitted(db, actor, page_size=1)
    assert stay.current_census == admitted_list.total == census.admitted, who
    rows, truncated = admission_queries.export_admitted(db, actor)
    assert not truncated and len(rows) == admitted_list.total, who

    # The queue: the Overview's "Patients waiting" against the Waitlist's cards and its departments.
    queue = waitlist_queue.queue_summary(db, actor)
    assert shown.patients_waiting.value == sum(q.waiting for q in queue), who
    assert shown.patients_over_target == sum(q.over_target for q in queue), who

    # Emergencies: the Overview's card, the Emergencies page's cards and its open list.
    open_now = open_list.open_counts(db, actor)
    listed = open_list.list_open(db, actor, page_size=1)
    assert shown.open_emergencies.value == open_now.open == listed.total, who
    assert shown.critical_emergencies.value == open_now.critical, who
    exported, truncated = open_list.export_open(db, actor)
    assert not truncated and len(exported) == listed.total, who

    # Money: the Overview's revenue card and the Financials cards for the month so far.
    month = month_figures.month_to_date(db, actor, today=today)
    assert shown.revenue_month_to_date.value == month.revenue.now, who

    # Appointments today: the Overview's card against the Appointments page's figures for today.
    day = appointment_figures.figures(db, actor, start=today, end=today).totals
    assert shown.appointments_today.value == day.appointments - day.cancelled, who
    listed_today = appointment_list.list_appointments(db, actor, start=today, end=today, page_size=1)
    assert listed_today.total == day.appointments, who

    # Verification (a network administrator's page): the Overview's card and the page's queue.
    if actor.role is UserRole.ADMIN:
        queues = verification_figures.queue_summary(db, actor)
        assert shown.documents_awaiting_verification.value == queues.pending_documents, who
        assert shown.hospitals_awaiting_verification.value == queues.pending_hospitals, who


def assert_analytics_agree_with_the_tables(db: Session, actor: Actor, who: str) -> None:
    """Analytics' daily appointments a week ago = the Overview's "same day last week" (the appointments table)."""
    today = _today()
    week_ago = today - timedelta(days=7)
    shown = overview.overview_figures(db, actor, today=today)
    explored = analytics.explore(
        db,
        actor,
        metrics=("daily_appointments",),
        hospital_ids=None if actor.network_wide else (actor.hospital_id,),
        start=week_ago,
        end=week_ago,
        grain="day",
        how="sum",
    )
    (point,) = [p for p in explored.points if p.period == week_ago]
    assert int(point.value) == shown.appointments_today.comparison, who


def assert_demo_invariants(db: Session) -> None:
    """Beds in use are held by admitted patients; nothing in a live list or a ledger happened after now."""
    unheld = db.execute(
        text(
            "SELECT r.name, r.in_use_quantity, count(p.id) FROM hospital_resources r "
            "LEFT JOIN hospital_patients p ON p.bed_resource_id = r.id AND p.discharge_date IS NULL "
            "AND p.status IN ('admitted', 'in_treatment') "
            "WHERE r.category = 'beds' GROUP BY r.id HAVING r.in_use_quantity <> count(p.id) LIMIT 5"
        )
    ).all()
    assert unheld == [], "beds counted in use that no admitted patient holds (name, in use, held)"
    later = db.execute(
        text(
            "SELECT 'waitlist', count(*) FROM patient_waitlist WHERE created_at > now() "
            "UNION ALL SELECT 'emergencies', count(*) FROM emergency_requests WHERE created_at > now() "
            "UNION ALL SELECT 'audit', count(*) FROM audit_logs WHERE created_at > now() "
            "UNION ALL SELECT 'wallets', count(*) FROM wallet_transactions WHERE created_at > now() "
            "UNION ALL SELECT 'outcomes', count(*) FROM appointments "
            "WHERE status IN ('completed', 'no_show') AND appointment_date > now()"
        )
    ).all()
    assert [(what, n) for what, n in later if n] == []


def test_the_demo_holds_its_invariants_as_built(demo):
    with Session(demo) as db:
        assert_demo_invariants(db)
        # The build copies its rows with the linking triggers off and links them in one pass: every
        # wallet's chain and the audit trail's verify as if each row had been linked on insert.
        breaks, heads = wallet_reconciliation.verify_hash_chains(db)
        assert breaks == [] and heads is not None


@pytest.mark.parametrize("who", ["network", *HOSPITALS])
def test_every_figure_shown_twice_reads_the_same_as_built(demo, actors, who):
    with Session(demo) as db:
        assert_figures_agree(db, actors[who], who)
        assert_analytics_agree_with_the_tables(db, actors[who], who)


# --- A scripted day ---------------------------------------------------------------------------------


def _a_patient_not_admitted(db: Session, hospital_id: str) -> str:
    return db.execute(
        text(
            "SELECT u.id FROM users u JOIN profiles p ON p.user_id = u.id WHERE p.role = 'PATIENT' "
            "AND NOT EXISTS (SELECT 1 FROM hospital_patients h WHERE h.patient_id = u.id "
            "AND h.discharge_date IS NULL) ORDER BY u.id LIMIT 1"
        )
    ).scalar_one()


def _play_a_day(db: Session, desk: Actor, actor: Actor) -> None:
    """Admit, transfer, discharge, book, call and refer at one hospital, each through its service."""
    hospital_id = actor.hospital_id
    wards = [b for b in admission_queries.bed_choices(db, actor, hospital_id) if b.free > 0]
    assert len(wards) >= 2, "the demo hospital has two wards with free beds"
    patient_id = _a_patient_not_admitted(db, hospital_id)
    admitted = admission_commands.admit(
        db, actor, hospital_id=hospital_id, patient_id=patient_id, bed_resource_id=wards[0].resource_id
    )
    admission_commands.transfer(
        db, actor, admitted.admission_id, bed_resource_id=wards[1].resource_id, room_number=None
    )
    longest = db.scalar(
        select(HospitalPatient.id)
        .where(
            HospitalPatient.hospital_id == hospital_id,
            HospitalPatient.discharge_date.is_(None),
            HospitalPatient.bed_resource_id.is_not(None),
            HospitalPatient.id != admitted.admission_id,
        )
        .order_by(HospitalPatient.admission_date)
        .limit(1)
    )
    admission_commands.discharge(db, actor, longest)

    physician_id = db.scalar(
        select(Profile.id).where(Profile.hospital_id == hospital_id, Profile.role == UserRole.PHYSICIAN).limit(1)
    )
    tomorrow = _today() + timedelta(days=1)
    booked = None
    for slot in ("08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00"):
        try:  # a slot already taken is refused in a sentence (and rolled back): try the next one
            with db.begin_nested():
                booked = booking.book(
                    db, actor, hospital_id=hospital_id, patient_id=patient_id, physician_id=physician_id,
                    day=tomorrow, time=slot, appointment_type="consultation", consultation_type="in_person",
                )  # fmt: skip
        except ServiceError:
            continue
        break
    assert booked is not None
    department = db.scalar(
        select(PatientWaitlist.department).where(
            PatientWaitlist.hospital_id == hospital_id,
            PatientWaitlist.status == "waiting",
            PatientWaitlist.created_at <= datetime.now(UTC),
        )
        .limit(1)
    )
    if department is not None:
        assert waitlist_commands.call_next(db, actor, hospital_id=hospital_id, department=department) is not None

    candidates = open_list.list_open(db, desk, page_size=50).rows
    emergency = next(
        e for e in candidates
        if e.hospital_id != hospital_id and not referral_reads.board(db, desk, emergency_id=e.id).history
    )  # fmt: skip
    referral = referral_commands.refer(db, desk, emergency.id, hospital_id, reason="scripted day")
    referral_commands.accept(db, actor, referral.id)
    db.commit()


def test_every_figure_still_agrees_after_a_scripted_day(demo, actors):
    with Session(demo) as db:
        _play_a_day(db, actors["network"], actors["lagos-1"])
    with Session(demo) as db:
        assert_demo_invariants(db)
        for who in ("network", *HOSPITALS):
            assert_figures_agree(db, actors[who], who)
