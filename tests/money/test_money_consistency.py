"""One truth for the month's money: the card (month_figures.month_to_date), the monthly chart's bar, the
figures table's export, the ledger rows behind the bar and the board PDF show the same revenue,
expenses and net for the same scope and period: for the network and for each of two hospitals."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dashboard.domains.money import financial_report, hospital_ledger, hospital_ledger_entries, month_figures
from dashboard.platform.formatting import LAGOS, naira
from db.base import UserRole
from tests.fixtures.queue_builders import actor
from tests.money.test_financials_service import TODAY, _booked, running_month  # noqa: F401 (the fixture)

START = date(2025, 11, 1)
MONTH = "2025-12"


def _scopes(db, running_month):  # noqa: F811
    h, other = running_month
    # November's late adjustment, booked on 2 December: November's money, not December's, though booked in it
    # (a sum by booking date would count it in this month and disagree with the bar).
    _booked(db, h, "2025-11", "revenue", "999.00", date(2025, 12, 2))
    db.flush()
    return {
        "network": actor(UserRole.ADMIN, None),
        "one hospital": actor(UserRole.HOSPITAL_ADMIN, h),
        "another hospital": actor(UserRole.EXECUTIVE, other),
    }


@pytest.mark.parametrize("scope", ["network", "one hospital", "another hospital"])
def test_the_card_the_bar_the_tables_and_the_pdf_agree(db_session, running_month, scope):  # noqa: F811
    who = _scopes(db_session, running_month)[scope]
    card = month_figures.month_to_date(db_session, who, today=TODAY)
    assert card.month == MONTH and card.revenue.now is not None
    if scope == "one hospital":
        assert card.revenue.now == Decimal("800.00")  # December's entries only, not the late November one
    figures = (card.revenue.now, card.expenses.now, card.net.now)

    # The monthly chart's bar for this month, and the "By month" table's export (the same rows).
    bar = hospital_ledger.monthly_totals(db_session, who, start=START, end=TODAY)[-1]
    assert bar.month == MONTH and (bar.revenue, bar.expenses, bar.net) == figures
    exported, _ = hospital_ledger_entries.export_figures(db_session, who, table="months", start=START, end=TODAY)
    assert (exported[-1].revenue, exported[-1].expenses, exported[-1].net) == figures

    # The ledger rows behind the bar (the transactions table and its export), and the chip's total.
    rows, truncated = hospital_ledger_entries.export_transactions(db_session, who, start=START, end=TODAY, month=MONTH)
    assert not truncated
    revenue = sum((r.amount for r in rows if r.kind == "revenue"), start=0)
    expenses = sum((r.amount for r in rows if r.kind == "expense"), start=0)
    assert (revenue, expenses, revenue - expenses) == figures
    chip = hospital_ledger_entries.selection_total(db_session, who, start=START, end=TODAY, month=MONTH)
    assert (chip.revenue, chip.expenses, chip.net) == figures

    # The board PDF made the same day: the card table's row and the month table's row carry the same amounts.
    made = datetime.combine(TODAY, time(9), tzinfo=LAGOS)
    report = financial_report.financial_report(db_session, who, start=START, end=TODAY, made_at=made)
    reader = PdfReader(io.BytesIO(report.content))
    lines = "\n".join(page.extract_text() for page in reader.pages).splitlines()
    for name, value in zip(("Revenue", "Expenses", "Net"), figures, strict=True):
        card_rows = [line for line in lines if line.startswith(f"{name} ")]
        assert card_rows and all(line.split(" ")[1] == naira(value) for line in card_rows), (name, card_rows)
    [month_row] = [line for line in lines if line.startswith("Dec 2025 ₦")]
    assert month_row.split(" ")[2:5] == [naira(v) for v in figures]
