"""The printable report: a real PDF (read back with pypdf) with its scope, period and time printed on it,
the month's figures to the kobo, the chart as an image, audited like an export, refused to other roles."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dashboard.domains.money import financial_report, hospital_ledger, month_figures
from dashboard.platform.errors import NotPermitted
from dashboard.platform.formatting import LAGOS, naira
from db.base import UserRole
from db.models import HospitalFinancialData
from tests.fixtures.queue_builders import actor, add_hospital, audit_rows
from tests.money.test_financials_service import END, START, TODAY, _booked, ledger, running_month  # noqa: F401 (fixtures)

MADE = datetime(2025, 4, 2, 8, 30, tzinfo=UTC)  # 09:30 in Lagos, after March: a completed month


def text_of(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_a_hospitals_report_names_its_scope_range_and_time_and_carries_the_figures(db_session, ledger):  # noqa: F811
    a, _ = ledger
    reader_actor = actor(UserRole.EXECUTIVE, a)
    report = financial_report.financial_report(db_session, reader_actor, start=START, end=END, made_at=MADE)
    assert report.content.startswith(b"%PDF-") and report.file_name == "financial-report-hospital-2025-03.pdf"
    reader, text = text_of(report.content)
    assert len(reader.pages) == report.pages >= 1
    assert "Scope: Ledger Alpha Hospital" in text
    assert "1 Feb 2025 – 20 Mar 2025" in text and "2 Apr 2025, 09:30" in text
    assert "₦1,500,000.15" in text  # March revenue, to the kobo
    assert "+₦250,000.15" in text and "+20.0%" in text  # against February
    assert "Utilities and diesel" in text and "Ledger Beta Hospital" not in text
    assert any(page.images for page in reader.pages)  # the monthly chart
    [row] = audit_rows(db_session, reader_actor.user_id, "financial_report_exported")
    assert row.new_values["scope"] == "Ledger Alpha Hospital" and row.new_values["start"] == "2025-02-01"


def test_the_network_report_lists_hospitals_and_compliance_officers_cannot_print_it(db_session, ledger):  # noqa: F811
    report = financial_report.financial_report(db_session, actor(UserRole.ADMIN, None), start=START, end=END)
    _, text = text_of(report.content)
    assert "Scope: All hospitals" in text and "Ledger Beta Hospital" in text and "By hospital" in text
    with pytest.raises(NotPermitted):
        financial_report.financial_report(db_session, actor(UserRole.COMPLIANCE_OFFICER, None), start=START, end=END)


def test_a_month_with_nothing_booked_is_one_sentence_not_a_table_of_empty_rows(db_session, ledger):  # noqa: F811
    _, b = ledger  # B books March 2025 only: nothing for February or for March 2024
    reader = actor(UserRole.EXECUTIVE, b)
    report = financial_report.financial_report(db_session, reader, start=START, end=END, made_at=MADE)
    text = " ".join(text_of(report.content)[1].split())
    assert "No figures" not in text and "— — —" not in text
    cards = month_figures.month_figures(db_session, reader, month=END, today=MADE.astimezone(LAGOS).date())
    # The same words as the Financials page prints under its cards.
    assert month_figures.month_before_note(cards) in text and month_figures.year_before_note(cards) in text
    assert "Nothing is booked for Feb 2025, so there is no comparison with the month before." in text
    assert "Nothing is booked for Mar 2024, so there is no comparison with a year before." in text
    assert "Mar 2025 vs" not in text and "₦3,000,000.00" in text  # March's revenue still printed, in the monthly table


def test_a_running_month_with_no_year_before_keeps_the_month_before_and_says_why_the_rest_is_missing(db_session):
    """The demo's shape: twelve fiscal months, so the running December has November but no December a year before."""
    h = add_hospital(db_session, "Twelve Months Hospital")
    _booked(db_session, h, "2026-12", "revenue", "700.00", date(2026, 12, 6))
    _booked(db_session, h, "2026-12", "expense", "200.00", date(2026, 12, 6))
    _booked(db_session, h, "2026-11", "revenue", "3000.00", date(2026, 11, 30))
    _booked(db_session, h, "2026-11", "expense", "1500.00", date(2026, 11, 30))
    db_session.flush()
    report = financial_report.financial_report(
        db_session, actor(UserRole.EXECUTIVE, h), start=date(2026, 11, 1), end=date(2026, 12, 7),
        made_at=datetime.combine(date(2026, 12, 7), time(9), tzinfo=LAGOS),
    )  # fmt: skip
    lines = text_of(report.content)[1].splitlines()
    text = " ".join(" ".join(lines).split())
    assert "No figures" not in text
    assert "Nothing is booked for 1–6 Dec 2025, so there is no comparison with a year before." in text
    assert "1–6 Dec 2026 vs 1–6 Dec 2025" not in text and "1–6 Dec 2025 Change" not in text
    # The month before is still a table: 6/30 of November's ₦3,000.00 is ₦600.00.
    row = next(line for line in lines if line.startswith("Revenue") and "₦600.00" in line)
    assert "₦700.00" in row and "+₦100.00" in row


def test_a_running_month_is_printed_against_the_same_days_not_whole_months(db_session, running_month):  # noqa: F811
    h, _ = running_month
    made = datetime.combine(TODAY, time(9), tzinfo=LAGOS)
    report = financial_report.financial_report(
        db_session, actor(UserRole.EXECUTIVE, h), start=date(2025, 11, 1), end=TODAY, made_at=made
    )
    lines = text_of(report.content)[1].splitlines()
    text = "\n".join(lines)
    assert "1–7 Dec 2025, the month so far" in text and "never with whole months" in text.replace("\n", " ")
    assert "1–7 Nov 2025" in text and "1–7 Dec 2024" in text
    # ₦800.00 against 7/30 of November's ₦3,000.00 = ₦700.00: +14.3 %, not -73.3 % against all of November.
    row = next(line for line in lines if line.startswith("Revenue") and "₦700.00" in line)
    assert "₦800.00" in row and "+₦100.00" in row and "+14.3%" in row
    assert "-73.3%" not in text


def test_no_amount_wraps_in_the_middle_of_its_number(db_session):
    """Billions in every column: each amount the services give is found whole on one line of the PDF."""
    h = add_hospital(db_session, "Very Large Teaching Hospital of the Federal Capital Territory, Abuja")
    for month, booked, scale in (("2025-10", date(2025, 10, 31), 1), ("2025-11", date(2025, 11, 30), 2),
                                 ("2024-11", date(2024, 11, 30), 3)):  # fmt: skip
        for kind, category, amount in (("revenue", "consultations", "312345678901.23"),
                                       ("revenue", "pharmacy", "309876543210.98"),
                                       ("expense", "salaries_and_allowances_of_staff", "311111111111.11")):  # fmt: skip
            db_session.add(HospitalFinancialData(
                hospital_id=h, transaction_type=kind, category=category, amount=Decimal(amount) * scale,
                fiscal_month=month, reference_id=f"GL-{month}-{category}",
                transaction_date=datetime.combine(booked, time(23), tzinfo=LAGOS),
            ))  # fmt: skip
    db_session.flush()
    admin = actor(UserRole.ADMIN, None)
    start, end = date(2025, 10, 1), date(2025, 11, 30)
    report = financial_report.financial_report(
        db_session, admin, start=start, end=end, made_at=datetime(2025, 12, 3, tzinfo=UTC)
    )
    text = text_of(report.content)[1]
    cards = month_figures.month_figures(db_session, actor(UserRole.EXECUTIVE, h), month=end, today=date(2025, 12, 3))
    mine = hospital_ledger.hospital_totals(db_session, admin, start=start, end=end)
    big = next(row for row in mine if row.hospital_id == h)
    months = hospital_ledger.monthly_totals(db_session, admin, start=start, end=end)
    amounts = {naira(v) for v in (big.revenue, big.expenses, big.net)}
    amounts |= {naira(v) for m in months for v in (m.revenue, m.expenses, m.net)}
    amounts |= {naira(c.amount) for c in hospital_ledger.category_totals(db_session, admin, start=start, end=end)}
    assert cards.revenue.now == Decimal("1244444444224.42")  # this hospital alone; the report's cards are the network's
    assert len(amounts) >= 8
    for amount in amounts:
        assert amount in text, f"{amount} is not on one line of the PDF (wrapped?)"
    # A completed month against whole months: October's 31 days, not 30 of them.
    assert "+₦622,222,222,112.21 +100.0%" in text.replace("\n", " ")
