"""The Overview's cards on a two-hospital data set worked out by hand, their scope, the month-to-date
revenue comparison, and reporting completeness: lateness, "never" and the most-overdue-first order."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dashboard.domains.overview import overview
from dashboard.domains.overview.overview import LAGOS, Figure
from dashboard.platform.errors import NotPermitted
from db.base import UserRole
from db.models import (
    Appointment,
    Document,
    EmergencyRequest,
    Hospital,
    HospitalComplianceTracking,
    HospitalFinancialData,
    HospitalResource,
    User,
)
from db.settings import Settings
from tests.fixtures.queue_builders import actor, add_beds, add_entry, add_hospital, add_patient, audit_rows, db_now

TODAY = date(2025, 3, 10)  # a Monday
VALUES = Settings()  # occupancy alert at 90 % (clears at 85 %), low availability at 10 % free (clears at 15 %)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LAGOS)


def network_bed_totals(db) -> tuple[int, int]:
    """(in use, usable) of every active hospital's beds, whatever other tests left committed."""
    in_use, usable = db.execute(
        select(
            func.coalesce(func.sum(HospitalResource.in_use_quantity), 0),
            func.coalesce(func.sum(HospitalResource.total_quantity - HospitalResource.maintenance_quantity), 0),
        )
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(HospitalResource.category == "beds", Hospital.is_active)
    ).one()
    return int(in_use), int(usable)


def book(db, hospital_id, patient_id, physician_profile_id, day: date, status="confirmed", hour=10):
    db.add(
        Appointment(
            patient_id=patient_id,
            physician_id=physician_profile_id,
            hospital_id=hospital_id,
            appointment_date=at(day, hour),
            appointment_time=f"{hour:02d}:00",
            status=status,
        )
    )


def emergency(db, hospital_id, patient_id, created: date, status="pending", severity="medium"):
    db.add(
        EmergencyRequest(
            patient_id=patient_id,
            emergency_type="fall",
            hospital_id=hospital_id,
            status=status,
            severity=severity,
            created_at=at(created),
        )
    )


def money(db, hospital_id, day: date, amount: str, kind="revenue"):
    db.add(
        HospitalFinancialData(
            hospital_id=hospital_id,
            transaction_type=kind,
            category="consultations",
            amount=Decimal(amount),
            transaction_date=at(day),
            fiscal_month=f"{day:%Y-%m}",
        )
    )


def document(db, user_id, status="pending"):
    db.add(
        Document(
            user_id=user_id,
            document_name="Licence",
            document_type="licence",
            document_url="/x",
            verification_status=status,
        )
    )


@pytest.fixture
def data(db_session):
    db = db_session
    admin = actor(UserRole.ADMIN, None, "admin")
    baseline = overview.overview_figures(db, admin, today=TODAY, values=VALUES)
    base_in_use, base_usable = network_bed_totals(db)
    a = add_hospital(db, "Lagoon Overview Hospital")
    b = add_hospital(db, "Savannah Overview Hospital")
    c = add_hospital(db, "Awaiting Verification Clinic", verification_status="pending")
    patient = add_patient(db, "Ngozi", "Okafor")
    doctor_user = add_patient(db, "Tunde", "Bakare", hospital_id=a)
    doctor = db.get(User, doctor_user).profile
    b_staff = add_patient(db, "Hauwa", "Sani", hospital_id=b)

    # Beds. A: usable 28, in use 23, free 5 (82.1 %, ok; free 17.9 %, ok). B: usable 10, in use 9, free 1 (90 %, alert).
    add_beds(db, a, total=20, available=5, in_use=13, maintenance=2)
    add_beds(db, a, total=10, available=0, in_use=10, maintenance=0, name="ICU beds")
    add_beds(db, a, total=50, available=50, in_use=0, maintenance=0, name="Monitors", category="equipment")
    add_beds(db, b, total=10, available=1, in_use=9, maintenance=0)

    # Waitlist. A: 2 waiting (the urgent one 5 minutes past its 15), called today after 10, 20, 40 minutes
    # (median 20), in the 7 days before after 30 and 50 (median 40). B: 1 waiting.
    add_entry(db, a, patient, waited=20, priority="urgent")
    add_entry(db, a, patient, waited=10, priority="medium")
    for waited in (10, 20, 40):
        add_entry(db, a, patient, status="completed", created_at=at(TODAY, 8), called_after=waited)
    add_entry(db, a, patient, status="completed", created_at=at(TODAY - timedelta(days=1)), called_after=30)
    add_entry(db, a, patient, status="completed", created_at=at(TODAY - timedelta(days=7)), called_after=50)
    add_entry(db, a, patient, status="cancelled", waited=500, priority="low")
    add_entry(db, b, patient, waited=5, priority="low")

    # Appointments. A: 2 today (and a cancelled one), 1 on the Monday before; B: 1 today.
    book(db, a, patient, doctor.id, TODAY)
    book(db, a, patient, doctor.id, TODAY, hour=16)
    book(db, a, patient, doctor.id, TODAY, status="cancelled")
    book(db, a, patient, doctor.id, TODAY - timedelta(days=7))
    book(db, a, patient, doctor.id, TODAY - timedelta(days=6))  # last Tuesday: neither day
    book(db, b, patient, doctor.id, TODAY, hour=12)  # the same doctor cannot hold 10:00 twice

    # Emergencies. A: open 3 (1 critical); opened 4–10 March: 2, 25 Feb–3 March: 1. B: 1 open critical.
    emergency(db, a, patient, TODAY - timedelta(days=1), severity="critical")
    emergency(db, a, patient, TODAY - timedelta(days=9), status="dispatched")
    emergency(db, a, patient, TODAY - timedelta(days=2), status="resolved")
    emergency(db, a, patient, date(2025, 2, 20), status="in_progress", severity="high")
    emergency(db, b, patient, TODAY, severity="critical")

    # Revenue. A: 1–10 March 150,000; 1–10 February 100,000 (the 11th is past the fair cut).
    money(db, a, date(2025, 3, 1), "100000")
    money(db, a, TODAY, "50000")
    money(db, a, date(2025, 3, 11), "777")  # tomorrow
    money(db, a, date(2025, 3, 2), "5000", kind="expense")
    money(db, a, date(2025, 2, 5), "70000")
    money(db, a, date(2025, 2, 10), "30000")
    money(db, a, date(2025, 2, 11), "999")
    money(db, b, TODAY, "1234.50")

    # Documents: 2 pending of A's people (1 verified), 1 pending at B.
    document(db, doctor_user)
    document(db, doctor_user)
    document(db, doctor_user, status="verified")
    document(db, b_staff)
    db.flush()
    return {
        "a": a,
        "b": b,
        "c": c,
        "admin": admin,
        "baseline": baseline,
        "network_beds": (base_in_use + 32, base_usable + 38),
        "ha_a": actor(UserRole.HOSPITAL_ADMIN, a, "ha-a"),
        "exec_b": actor(UserRole.EXECUTIVE, b, "exec-b"),
        "doctor": doctor.id,
        "patient": patient,
    }


def test_figures_of_one_hospital(db_session, data):
    figures = overview.overview_figures(db_session, data["ha_a"], today=TODAY, values=VALUES)
    in_use, usable = data["network_beds"]
    assert figures.day == TODAY and figures.month_start == date(2025, 3, 1)
    assert figures.free_beds == Figure(5, None, "ok")
    assert figures.bed_occupancy_percent.value == pytest.approx(100 * 23 / 28)
    assert figures.bed_occupancy_percent.comparison == pytest.approx(100 * in_use / usable)
    assert figures.bed_occupancy_percent.status == "ok"
    assert figures.patients_waiting == Figure(2, None, "alert") and figures.patients_over_target == 1
    assert (figures.median_wait_minutes.value, figures.median_wait_minutes.comparison) == (
        pytest.approx(20),
        pytest.approx(40),
    )
    assert figures.appointments_today == Figure(2, 1)
    assert figures.open_emergencies.value == 3
    assert figures.critical_emergencies == Figure(1, None, "alert")
    assert figures.emergencies_opened_7_days == Figure(2, 1) and figures.emergencies_opened_7_days.change == 1
    assert figures.revenue_month_to_date == Figure(Decimal("150000"), Decimal("100000"))
    assert figures.documents_awaiting_verification.value == 2
    assert figures.hospitals_awaiting_verification.value == 0


def test_figures_of_the_other_hospital_hold_nothing_of_the_first(db_session, data):
    figures = overview.overview_figures(db_session, data["exec_b"], today=TODAY, values=VALUES)
    assert figures.free_beds == Figure(1, None, "alert")  # 10 % free: at the low-availability line
    assert figures.bed_occupancy_percent.value == pytest.approx(90) and figures.bed_occupancy_percent.status == "alert"
    assert figures.patients_waiting == Figure(1, None, "ok")
    assert figures.median_wait_minutes == Figure(None, None)
    assert figures.appointments_today == Figure(1, 0)
    assert (figures.open_emergencies.value, figures.critical_emergencies.value) == (1, 1)
    # Nothing was booked last month: no comparison (not a fall from ₦0), as on Financials.
    assert figures.revenue_month_to_date == Figure(Decimal("1234.50"), None)
    assert figures.documents_awaiting_verification.value == 1


def test_figures_of_the_network_add_both_and_compare_occupancy_with_nothing(db_session, data):
    before = data["baseline"]
    figures = overview.overview_figures(db_session, data["admin"], today=TODAY, values=VALUES)
    in_use, usable = data["network_beds"]
    assert figures.bed_occupancy_percent.value == pytest.approx(100 * in_use / usable)
    assert figures.bed_occupancy_percent.comparison is None
    assert figures.free_beds.value - before.free_beds.value == 6
    assert figures.patients_waiting.value - before.patients_waiting.value == 3
    assert figures.appointments_today.value - before.appointments_today.value == 3
    assert figures.open_emergencies.value - before.open_emergencies.value == 4
    assert figures.critical_emergencies.value - before.critical_emergencies.value == 2
    assert figures.revenue_month_to_date.value - before.revenue_month_to_date.value == Decimal("151234.50")
    assert figures.documents_awaiting_verification.value - before.documents_awaiting_verification.value == 3
    assert figures.hospitals_awaiting_verification.value - before.hospitals_awaiting_verification.value == 1


def test_occupancy_between_the_clear_and_raise_levels_is_watched(db_session):
    hospital = add_hospital(db_session, "Watch Hospital")
    add_beds(db_session, hospital, total=100, available=12, in_use=88, maintenance=0)
    figures = overview.overview_figures(db_session, actor(UserRole.HOSPITAL_ADMIN, hospital), values=VALUES)
    assert figures.bed_occupancy_percent.status == "watch"  # 88 %: under 90, over the 85 that clears it
    assert figures.free_beds.status == "watch"  # 12 % free: over 10, under the 15 that clears it


def test_a_hospital_without_beds_has_no_occupancy(db_session):
    hospital = add_hospital(db_session, "Bedless Clinic")
    figures = overview.overview_figures(db_session, actor(UserRole.HOSPITAL_ADMIN, hospital), values=VALUES)
    assert figures.free_beds == Figure(0, None, None)
    assert figures.bed_occupancy_percent.value is None and figures.bed_occupancy_percent.status is None


def test_a_long_month_is_compared_with_all_of_a_short_one(db_session):
    hospital = add_hospital(db_session, "Month End Hospital")
    for day, amount in ((date(2025, 2, 1), "10"), (date(2025, 2, 28), "20"), (date(2025, 3, 31), "40")):
        money(db_session, hospital, day, amount)
    money(db_session, hospital, date(2025, 1, 31), "999")
    db_session.flush()
    who = actor(UserRole.EXECUTIVE, hospital)
    end_of_march = overview.overview_figures(db_session, who, today=date(2025, 3, 31), values=VALUES)
    assert end_of_march.revenue_month_to_date == Figure(Decimal("40"), Decimal("30"))
    # On 1 March only 1 February is compared.
    first_of_march = overview.overview_figures(db_session, who, today=date(2025, 3, 1), values=VALUES)
    assert first_of_march.revenue_month_to_date == Figure(Decimal("0"), Decimal("10"))


def test_only_staff_read_the_overview(db_session):
    patient = actor(UserRole.PATIENT, None, "patient")
    with pytest.raises(NotPermitted):
        overview.overview_figures(db_session, patient)
    with pytest.raises(NotPermitted):
        overview.reporting_completeness(db_session, patient)
    assert [r.action_type for r in audit_rows(db_session, patient.user_id)] == ["permission_denied"] * 2


# --- Reporting completeness ---------------------------------------------------------------------------------


@pytest.fixture
def reporting(db_session):
    db = db_session
    now = db_now(db)
    ids = {
        "never": add_hospital(db, "Zulu Never Reported"),
        "no_finance": add_hospital(db, "Yankee No Finance"),
        "late": add_hospital(db, "X-ray Late Finance"),
        "fresh": add_hospital(db, "Whiskey On Time"),
        "also_fresh": add_hospital(db, "Victor On Time"),
        "inactive": add_hospital(db, "Closed Hospital", is_active=False),
    }
    # "no_finance": beds 2 hours ago, compliance a day ago, no financial record.
    add_beds(db, ids["no_finance"], total=5, available=5, in_use=0, maintenance=0, updated_at=now - timedelta(hours=2))
    db.add(
        HospitalComplianceTracking(
            hospital_id=ids["no_finance"], compliance_type="fire", last_assessment_date=now - timedelta(days=1)
        )
    )
    # "late": beds 30 hours ago (6 h late), finance 50 days ago (15 days late), compliance 10 days ago (on time).
    add_beds(db, ids["late"], total=5, available=5, in_use=0, maintenance=0, updated_at=now - timedelta(hours=30))
    add_beds(db, ids["late"], total=5, available=5, in_use=0, maintenance=0, updated_at=now - timedelta(hours=40))
    add_beds(db, ids["late"], total=5, available=5, in_use=0, maintenance=0, category="equipment", updated_at=now)
    db.add(
        HospitalFinancialData(
            hospital_id=ids["late"],
            transaction_type="expense",
            category="drugs",
            amount=1,
            transaction_date=now - timedelta(days=50),
            fiscal_month="2025-01",
        )
    )
    db.add(
        HospitalFinancialData(
            hospital_id=ids["late"],
            transaction_type="revenue",
            category="fees",
            amount=1,
            transaction_date=now - timedelta(days=80),
            fiscal_month="2025-01",
        )
    )
    db.add(
        HospitalComplianceTracking(
            hospital_id=ids["late"], compliance_type="fire", last_assessment_date=now - timedelta(days=10)
        )
    )
    db.add(
        HospitalComplianceTracking(
            hospital_id=ids["late"], compliance_type="waste", last_assessment_date=now - timedelta(days=200)
        )
    )
    for name in ("fresh", "also_fresh", "inactive"):
        add_beds(db, ids[name], total=5, available=5, in_use=0, maintenance=0, updated_at=now - timedelta(hours=1))
        db.add(
            HospitalFinancialData(
                hospital_id=ids[name],
                transaction_type="revenue",
                category="fees",
                amount=1,
                transaction_date=now - timedelta(days=3),
                fiscal_month="2025-01",
            )
        )
        db.add(
            HospitalComplianceTracking(
                hospital_id=ids[name], compliance_type="fire", last_assessment_date=now - timedelta(days=3)
            )
        )
    db.flush()
    return now, ids


def test_completeness_most_overdue_first(db_session, reporting):
    now, ids = reporting
    rows = overview.reporting_completeness(db_session, actor(UserRole.ADMIN, None), now=now, values=VALUES)
    mine = [r for r in rows if r.hospital_id in ids.values()]
    assert [r.hospital_id for r in mine] == [
        ids["never"],
        ids["no_finance"],
        ids["late"],
        ids["also_fresh"],  # on time: by name
        ids["fresh"],
    ]
    never, no_finance, late, fresh = mine[0], mine[1], mine[2], mine[3]
    assert [r.status for r in (never.beds, never.finance, never.compliance)] == ["never"] * 3
    assert never.overdue_reports == 3 and never.beds.last is None and never.beds.late_by is None
    assert (no_finance.finance.status, no_finance.beds.status, no_finance.compliance.status) == (
        "never",
        "on_time",
        "on_time",
    )
    assert late.beds.last == now - timedelta(hours=30) and late.beds.late_by == timedelta(hours=6)
    assert late.finance.late_by == timedelta(days=15) and late.finance.expected_every == timedelta(days=35)
    assert late.compliance.status == "on_time" and late.compliance.last == now - timedelta(days=10)
    assert late.overdue_reports == 2 and fresh.overdue_reports == 0
    assert ids["inactive"] not in {r.hospital_id for r in rows}


def test_completeness_moves_with_the_clock_and_the_settings(db_session, reporting):
    now, ids = reporting
    later = now + timedelta(days=5)
    strict = Settings(finance_report_days=1)
    rows = overview.reporting_completeness(db_session, actor(UserRole.ADMIN, None), now=later, values=strict)
    fresh = next(r for r in rows if r.hospital_id == ids["fresh"])
    assert fresh.finance.late_by == timedelta(days=7)  # 8 days since, due every day
    assert fresh.beds.late_by == timedelta(days=5, hours=1) - timedelta(hours=24)


def test_completeness_of_a_hospital_actor_is_their_own_hospital(db_session, reporting):
    now, ids = reporting
    rows = overview.reporting_completeness(
        db_session, actor(UserRole.HOSPITAL_ADMIN, ids["late"]), now=now, values=VALUES
    )
    assert [r.hospital_id for r in rows] == [ids["late"]]
    assert rows[0].hospital_name == "X-ray Late Finance"


def test_the_old_counts_still_agree_with_the_figures(db_session, data):
    counts = overview.overview_counts(db_session, data["ha_a"], today=TODAY)
    figures = overview.overview_figures(db_session, data["ha_a"], today=TODAY, values=VALUES)
    assert counts.patients_waiting == figures.patients_waiting.value
    assert counts.open_emergencies == figures.open_emergencies.value


def test_appointments_today_hospital_by_hospital_is_the_straightforward_count(db_session, data):
    """The network's count goes hospital by hospital through the index; it must still count every appointment:
    those with no hospital, those of an inactive hospital, the evening before midnight and not the cancelled."""
    a, b = data["a"], data["b"]
    doctor = data["doctor"]
    gone = add_hospital(db_session, "Closed Overview Hospital")
    db_session.execute(Hospital.__table__.update().where(Hospital.id == gone).values(is_active=False))
    book(db_session, None, data["patient"], doctor, TODAY, hour=18)  # another client's booking, no hospital
    book(db_session, None, data["patient"], doctor, TODAY - timedelta(days=7), hour=19)
    book(db_session, gone, data["patient"], doctor, TODAY, hour=20)
    book(db_session, b, data["patient"], doctor, TODAY - timedelta(days=7), hour=23)  # 23:00 Lagos: still that day
    book(db_session, b, data["patient"], doctor, TODAY + timedelta(days=1), hour=0)  # tomorrow: neither
    db_session.flush()

    def straight(hospital_id=None):
        def count(day):
            stmt = select(func.count()).where(
                Appointment.appointment_date >= at(day, 0),
                Appointment.appointment_date < at(day + timedelta(days=1), 0),
                Appointment.status != "cancelled",
            )
            if hospital_id is not None:
                stmt = stmt.where(Appointment.hospital_id == hospital_id)
            return db_session.scalar(stmt)

        return count(TODAY), count(TODAY - timedelta(days=7))

    figures = overview.overview_figures(db_session, data["admin"], today=TODAY, values=VALUES)
    assert (figures.appointments_today.value, figures.appointments_today.comparison) == straight()
    for hospital in (a, b, gone):
        own = overview.overview_figures(db_session, actor(UserRole.HOSPITAL_ADMIN, hospital), today=TODAY,
                                        values=VALUES)  # fmt: skip
        assert (own.appointments_today.value, own.appointments_today.comparison) == straight(hospital)


def test_revenue_is_the_financials_figure_and_hidden_from_roles_that_do_not_read_finances(db_session, data):
    from dashboard.domains.money import month_figures

    for who in ("exec_b", "admin"):
        shown = overview.overview_figures(db_session, data[who], today=TODAY, values=VALUES)
        month = month_figures.month_to_date(db_session, data[who], today=TODAY)
        assert shown.revenue_month_to_date.value == month.revenue.now
        assert shown.revenue_month_to_date.comparison == month.revenue.last_month
        assert shown.period_label == "1–10 Mar" and shown.comparison_label == "1–10 Feb"
    hospital = add_hospital(db_session, "Checklist Hospital")
    officer = overview.overview_figures(db_session, actor(UserRole.COMPLIANCE_OFFICER, hospital), today=TODAY)
    assert officer.revenue_month_to_date is None
