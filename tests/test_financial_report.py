"""The printable report: a real PDF (read back with pypdf) with its scope, period and time printed on it,
the month's figures to the kobo, the chart as an image, audited like an export, refused to other roles."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from dashboard.services import financial_report
from dashboard.services.errors import NotPermitted
from db.base import UserRole
from tests.operations_data import actor, audit_rows
from tests.test_financials_service import END, START, ledger  # noqa: F401 (the fixture)

MADE = datetime(2025, 3, 21, 8, 30, tzinfo=UTC)  # 09:30 in Lagos


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
    assert "1 Feb 2025 – 20 Mar 2025" in text and "21 Mar 2025, 09:30" in text
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


def test_a_month_with_no_figures_is_said_not_dashed(db_session, ledger):  # noqa: F811
    _, b = ledger  # B books March 2025 only: nothing for February or for March 2024
    report = financial_report.financial_report(db_session, actor(UserRole.EXECUTIVE, b), start=START, end=END)
    _, text = text_of(report.content)
    assert "No figures" in text and "— — —" not in text
    assert "No figures are booked for Feb 2025 or Mar 2024" in text
