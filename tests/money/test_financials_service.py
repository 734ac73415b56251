"""The ledger's figures on a two-hospital fixture worked out by hand: months, categories, hospitals, the
month against last month and last year, the rows behind a bar (summing to the kobo), scope and bad input."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from dashboard.domains.money import consultations, hospital_ledger, hospital_ledger_entries, month_figures
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from dashboard.platform.formatting import LAGOS
from db.base import UserRole
from db.models import Appointment, ConsultationSession, HospitalFinancialData, Profile, User
from tests.fixtures.queue_builders import actor, add_hospital, add_patient, audit_rows

START, END = date(2025, 2, 1), date(2025, 3, 20)  # fiscal months 2025-02 and 2025-03
D = Decimal


def entry(db, hospital_id: str, month: str, kind: str, category: str, amount: str) -> None:
    db.add(
        HospitalFinancialData(
            hospital_id=hospital_id,
            transaction_type=kind,
            category=category,
            amount=D(amount),
            fiscal_month=month,
            description=f"{month} {category} {kind}",
            transaction_date=datetime.combine(date.fromisoformat(month + "-28"), time(23)),
            reference_id=f"GL-{month}-{category}",
        )
    )


@pytest.fixture
def ledger(db_session):
    """Hospital A: Mar 2025, Feb 2025, Mar 2024 (a year before) and Jan 2025 (outside the range); B: Mar 2025."""
    db = db_session
    a = add_hospital(db, "Ledger Alpha Hospital")
    b = add_hospital(db, "Ledger Beta Hospital")
    for month, kind, category, amount in (
        ("2025-03", "revenue", "consultations", "1000000.10"),
        ("2025-03", "revenue", "pharmacy", "500000.05"),
        ("2025-03", "expense", "salaries", "900000.01"),
        ("2025-03", "expense", "utilities_and_diesel", "250000.99"),
        ("2025-02", "revenue", "consultations", "800000.00"),
        ("2025-02", "revenue", "pharmacy", "450000.00"),
        ("2025-02", "expense", "salaries", "880000.00"),
        ("2024-03", "revenue", "consultations", "1200000.00"),
        ("2024-03", "expense", "salaries", "700000.00"),
        ("2025-01", "revenue", "consultations", "999.99"),
    ):
        entry(db, a, month, kind, category, amount)
    entry(db, b, "2025-03", "revenue", "consultations", "3000000.00")
    entry(db, b, "2025-03", "expense", "salaries", "100.00")
    db.flush()
    return a, b


def test_monthly_totals_in_a_hospitals_scope_leave_the_other_hospital_out(db_session, ledger):
    a, _ = ledger
    months = hospital_ledger.monthly_totals(db_session, actor(UserRole.EXECUTIVE, a), start=START, end=END)
    assert [(m.month, m.revenue, m.expenses, m.net) for m in months] == [
        ("2025-02", D("1250000.00"), D("880000.00"), D("370000.00")),
        ("2025-03", D("1500000.15"), D("1150001.00"), D("349999.15")),
    ]
    assert months[1].label == "Mar 2025"


def test_network_scope_sees_both_hospitals_and_ranks_them(db_session, ledger):
    a, b = ledger
    admin = actor(UserRole.ADMIN, None)
    hospitals = {h.hospital_id: h for h in hospital_ledger.hospital_totals(db_session, admin, start=START, end=END)}
    assert hospitals[b].revenue == D("3000000.00") and hospitals[b].net == D("2999900.00")
    assert hospitals[a].revenue == D("2750000.15") and hospitals[a].expenses == D("2030001.00")
    mine = hospital_ledger.hospital_totals(db_session, actor(UserRole.HOSPITAL_ADMIN, a), start=START, end=END)
    assert [h.hospital_id for h in mine] == [a]


def test_categories_largest_first_within_each_kind(db_session, ledger):
    a, _ = ledger
    rows = hospital_ledger.category_totals(db_session, actor(UserRole.EXECUTIVE, a), start=START, end=END)
    assert [(r.kind, r.category, r.amount) for r in rows] == [
        ("revenue", "consultations", D("1800000.10")),
        ("revenue", "pharmacy", D("950000.05")),
        ("expense", "salaries", D("1780000.01")),
        ("expense", "utilities_and_diesel", D("250000.99")),
    ]
    assert rows[3].label == "Utilities and diesel"


def test_a_completed_month_against_the_whole_month_before_and_the_same_month_last_year(db_session, ledger):
    a, _ = ledger
    cards = month_figures.month_figures(
        db_session, actor(UserRole.EXECUTIVE, a), month=date(2025, 3, 20), today=date(2025, 6, 2)
    )
    assert (cards.month, cards.last_month.month, cards.last_year.month) == ("2025-03", "2025-02", "2024-03")
    assert not cards.running and cards.this.whole and cards.vs_last_month == "Mar 2025 vs Feb 2025"
    revenue = cards.revenue
    assert (revenue.now, revenue.last_month, revenue.last_year) == (D("1500000.15"), D("1250000.00"), D("1200000.00"))
    assert revenue.change_vs_last_month == D("250000.15")
    assert revenue.change_vs_last_year == D("300000.15")
    assert revenue.percent_vs_last_month == pytest.approx(0.20000012)
    assert revenue.percent_vs_last_year == pytest.approx(0.250000125)
    assert cards.net.now == D("349999.15") and cards.net.last_year == D("500000.00")
    assert cards.net.change_vs_last_year == D("-150000.85")
    assert not cards.pro_rated  # whole months: every entry counts whole
    # A month with no ledger rows has no figure, not zero.
    empty = month_figures.month_figures(
        db_session, actor(UserRole.EXECUTIVE, a), month=date(2025, 5, 1), today=date(2025, 6, 2)
    )
    assert empty.revenue.now is None and empty.revenue.change_vs_last_month is None


def _booked(db, hospital_id: str, month: str, kind: str, amount: str, day: date) -> None:
    db.add(
        HospitalFinancialData(
            hospital_id=hospital_id, transaction_type=kind, category="consultations", amount=D(amount),
            fiscal_month=month, description=f"{month} {kind}", reference_id=f"GL-{month}-{kind}-{day}",
            transaction_date=datetime.combine(day, time(23), tzinfo=LAGOS),
        )
    )  # fmt: skip


@pytest.fixture
def running_month(db_session):
    """Today is 8 Dec 2025 in Lagos. Dec 2025: booked to date on the 7th. Nov 2025: one close on the 30th.
    Dec 2024: booked daily-ish (the 3rd, the 7th, the 20th). Another hospital books Dec 2025 too."""
    db = db_session
    h = add_hospital(db, "Running Month Hospital")
    other = add_hospital(db, "Other Month Hospital")
    _booked(db, h, "2025-12", "revenue", "800.00", date(2025, 12, 7))
    _booked(db, h, "2025-12", "expense", "300.00", date(2025, 12, 7))
    _booked(db, h, "2025-11", "revenue", "3000.00", date(2025, 11, 30))
    _booked(db, h, "2025-11", "expense", "1500.00", date(2025, 11, 30))
    _booked(db, h, "2024-12", "revenue", "100.00", date(2024, 12, 3))
    _booked(db, h, "2024-12", "revenue", "200.00", date(2024, 12, 7))
    _booked(db, h, "2024-12", "revenue", "400.00", date(2024, 12, 20))
    _booked(db, other, "2025-12", "revenue", "50.00", date(2025, 12, 7))
    db.flush()
    return h, other


TODAY = date(2025, 12, 8)


def test_a_running_month_is_compared_with_the_same_days_not_whole_months(db_session, running_month):
    h, _ = running_month
    mine = actor(UserRole.HOSPITAL_ADMIN, h)
    cards = month_figures.month_to_date(db_session, mine, today=TODAY)
    assert cards.running and cards.booked_to == date(2025, 12, 7)
    assert (cards.this.label, cards.last_month.label, cards.last_year.label) == (
        "1–7 Dec 2025", "1–7 Nov 2025", "1–7 Dec 2024",
    )  # fmt: skip
    assert cards.vs_last_month == "1–7 Dec vs 1–7 Nov"
    # November's one close covers its 30 days: 7 of them are 7/30 of it; December 2024's entries on the
    # 3rd and the 7th cover days 1-7, the one on the 20th none of them.
    assert cards.revenue == month_figures.Comparison(D("800.00"), D("700.00"), D("300.00"))
    assert cards.expenses == month_figures.Comparison(D("300.00"), D("350.00"), D("0.00"))
    assert cards.net.now == D("500.00") and cards.net.last_month == D("350.00")
    assert cards.revenue.percent_vs_last_month == pytest.approx(800 / 700 - 1)  # not 800/3000 - 1 = -73 %
    assert cards.pro_rated and "1–7 Nov holds 7/30 of it" in month_figures.same_days_note(cards)
    # The network holds the other hospital's December too.
    network = month_figures.month_to_date(db_session, actor(UserRole.ADMIN, None), today=TODAY)
    assert network.revenue.now - cards.revenue.now >= D("50.00")


def test_the_running_month_equals_its_bar_on_the_monthly_chart(db_session, running_month):
    h, _ = running_month
    mine = actor(UserRole.EXECUTIVE, h)
    cards = month_figures.month_to_date(db_session, mine, today=TODAY)
    [bar] = hospital_ledger.monthly_totals(db_session, mine, start=date(2025, 12, 1), end=TODAY)
    assert (bar.revenue, bar.expenses, bar.net) == (cards.revenue.now, cards.expenses.now, cards.net.now)


def test_a_running_month_with_nothing_booked_yet_says_so(db_session, running_month):
    h, _ = running_month
    cards = month_figures.month_to_date(db_session, actor(UserRole.EXECUTIVE, h), today=date(2026, 1, 5))
    assert cards.running and cards.booked_to is None and cards.revenue.now is None
    assert cards.this.label == "1–5 Jan 2026" and cards.last_month.label == "1–5 Dec 2025"
    # Dec 2025's entries were booked on the 7th, covering the 1st to the 7th: 5 of those 7 days.
    assert cards.revenue.last_month == D("571.43")
    completed = month_figures.month_figures(
        db_session, actor(UserRole.EXECUTIVE, h), month=date(2025, 12, 31), today=date(2026, 1, 5)
    )
    assert completed.this.whole and completed.revenue.now == D("800.00")
    assert completed.revenue.last_month == D("3000.00")


def test_the_rows_behind_a_bar_add_up_to_the_bar_to_the_kobo(db_session, ledger):
    a, b = ledger
    admin = actor(UserRole.ADMIN, None)
    months = {m.month: m for m in hospital_ledger.monthly_totals(db_session, admin, start=START, end=END)}
    for kind, chart_value in (("revenue", months["2025-03"].revenue), ("expense", months["2025-03"].expenses)):
        rows, truncated = hospital_ledger_entries.export_transactions(
            db_session, admin, start=START, end=END, month="2025-03", kind=kind
        )
        mine = [r for r in rows if r.hospital_id in (a, b)]
        assert not truncated and sum(r.amount for r in rows) == chart_value
        assert {r.kind for r in mine} == {kind}
        total = hospital_ledger_entries.selection_total(
            db_session, admin, start=START, end=END, month="2025-03", kind=kind
        )
        assert (total.revenue if kind == "revenue" else total.expenses) == chart_value
    categories = hospital_ledger.category_totals(db_session, actor(UserRole.EXECUTIVE, a), start=START, end=END)
    salaries = next(c for c in categories if c.category == "salaries")
    page = hospital_ledger_entries.list_transactions(
        db_session, actor(UserRole.EXECUTIVE, a), start=START, end=END, category="salaries", page_size=1
    )
    assert page.total == 2 and len(page.rows) == 1  # paginated in SQL
    rows, _ = hospital_ledger_entries.export_transactions(
        db_session, actor(UserRole.EXECUTIVE, a), start=START, end=END, category="salaries"
    )
    assert sum(r.amount for r in rows) == salaries.amount == D("1780000.01")


def test_a_hospital_bar_filters_to_that_hospital_and_another_hospitals_id_is_refused(db_session, ledger):
    a, b = ledger
    admin = actor(UserRole.ADMIN, None)
    page = hospital_ledger_entries.list_transactions(db_session, admin, start=START, end=END, hospital_id=b)
    assert page.total == 2 and {r.hospital_name for r in page.rows} == {"Ledger Beta Hospital"}
    scoped = actor(UserRole.HOSPITAL_ADMIN, a)
    with pytest.raises(OutOfScope):
        hospital_ledger_entries.list_transactions(db_session, scoped, start=START, end=END, hospital_id=b)
    assert audit_rows(db_session, scoped.user_id, "scope_violation")


def test_bad_input_is_refused_in_a_sentence(db_session, ledger):
    a, _ = ledger
    reader = actor(UserRole.EXECUTIVE, a)
    cases = [
        ({"start": END, "end": START}, "start date is after the end date"),
        ({"start": date(2020, 1, 1), "end": END}, "at most"),
        ({"start": START, "end": END, "month": "2025-07"}, "lies outside the date range"),
        ({"start": START, "end": END, "month": "March"}, "Pick a month"),
        ({"start": START, "end": END, "kind": "profit"}, "revenue or expenses"),
    ]
    for kwargs, words in cases:
        with pytest.raises(InvalidInput, match=words):
            hospital_ledger_entries.list_transactions(db_session, reader, **kwargs)


def test_compliance_officers_are_refused(db_session, ledger):
    a, _ = ledger
    officer = actor(UserRole.COMPLIANCE_OFFICER, a)
    with pytest.raises(NotPermitted, match="cannot see the hospital finances"):
        hospital_ledger.monthly_totals(db_session, officer, start=START, end=END)


def test_exports_are_audited_with_their_filters(db_session, ledger):
    a, _ = ledger
    reader = actor(UserRole.EXECUTIVE, a)
    rows, _ = hospital_ledger_entries.export_transactions(db_session, reader, start=START, end=END, kind="expense")
    [row] = audit_rows(db_session, reader.user_id, "financials_exported")
    assert row.new_values["kind"] == "expense" and row.new_values["rows"] == len(rows) == 3


def test_consultation_revenue_beside_the_ledgers_figure(db_session, ledger):
    a, b = ledger
    db = db_session
    patient = add_patient(db, "Ngozi", "Ade")
    doctor = User(email="ledger.doctor@test.healthdash.ng", password="x")
    doctor.profile = Profile(first_name="Tunde", last_name="Bello", role=UserRole.PHYSICIAN, hospital_id=a)
    db.add(doctor)
    db.flush()
    for hospital, day, status, kind, paid in (
        (a, date(2025, 3, 3), "completed", "virtual", "paid"),
        (a, date(2025, 3, 4), "completed", "in_person", None),
        (a, date(2025, 3, 5), "cancelled", "virtual", "refunded"),
        (b, date(2025, 3, 6), "completed", "virtual", "paid"),
    ):
        appointment = Appointment(
            patient_id=patient, physician_id=doctor.profile.id, hospital_id=hospital, status=status,
            appointment_date=datetime.combine(day, time(9)), appointment_time="10:00", consultation_type=kind,
        )  # fmt: skip
        db.add(appointment)
        db.flush()
        if paid:
            db.add(
                ConsultationSession(
                    appointment_id=appointment.id, patient_id=patient, physician_id=doctor.profile.id,
                    consultation_rate=D("15000.50"), payment_status=paid,
                )
            )  # fmt: skip
    db.flush()
    # Sessions and appointments come from a summary (migration 0011): as of its last refresh.
    assert consultations.refresh_summaries(db, actor(UserRole.EXECUTIVE, a)) is not None
    checks = consultations.consultation_check(db, actor(UserRole.EXECUTIVE, a), start=START, end=END)
    march = checks[-1]
    assert march.month == "2025-03" and march.ledger_consultations == D("1000000.10")
    assert (march.video_sessions_paid, march.video_revenue) == (1, D("15000.50"))
    assert (march.appointments_completed, march.virtual_completed) == (2, 1)
