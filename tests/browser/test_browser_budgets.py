"""Real browser on Financials' "Budget against actual": a hospital's administrator imports a budget workbook through
the file uploader and sees the category furthest over budget first.

One `healthdash run` for the module (as the least-privilege app role), on the two-hospital network of
tests/fixtures/two_hospitals.py with a year of Alpha's ledger: every month of this year booked (this month to
yesterday), salaries ₦300,000.00 a month, diesel ₦150,000.00 and consultations ₦400,000.00. The workbook budgets
diesel at ₦1,200,000.00 a year (₦100,000.00 a month: half again over), salaries at ₦4,200,000.00 (within),
consultations at ₦4,800,000.00. One first upload has a wrong row: it is named and nothing is written.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.domains.money.budget_commands import HEADERS
from dashboard.platform.dates import LAGOS
from db.models import AuditLog, HospitalFinancialData
from db.models.budgets import HospitalBudget
from tests.browser.support import (
    charts_drawn,
    chromium,
    new_context,
    open_from_menu,
    screenshot,
    served,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
)
from tests.fixtures.two_hospitals import ALPHA, Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")  # a folder: the page's screenshots are kept there when set
ERROR = '[data-testid="stAlertContentError"]'
MONTHLY = {"salaries": ("expense", 300_000), "utilities_and_diesel": ("expense", 150_000),
           "consultations": ("revenue", 400_000)}  # fmt: skip


def _fill(engine: Engine) -> Network:
    network = _build_network(engine)
    today = datetime.now(LAGOS).date()
    yesterday = today - timedelta(days=1)
    with Session(engine) as session, session.begin():
        for month in range(1, today.month + 1):
            last = yesterday if month == today.month else date(today.year, month + 1, 1) - timedelta(days=1)
            if last.month != month or last.year != today.year:
                continue  # the 1st of the month: nothing booked for it yet
            for category, (kind, amount) in MONTHLY.items():
                share = Decimal(last.day) / 30 if month == today.month else 1
                session.add(HospitalFinancialData(
                    hospital_id=network.hospital_a, transaction_type=kind, category=category,
                    amount=(Decimal(amount) * share).quantize(Decimal("0.01")), fiscal_month=f"{today:%Y}-{month:02d}",
                    transaction_date=datetime.combine(last, time(22), tzinfo=LAGOS),
                ))  # fmt: skip
    return network


def _workbook(*rows: tuple) -> bytes:
    book = Workbook()
    book.active.append(list(HEADERS))
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "budgets-server", _fill) as (base, _url, network, log, engine):
        yield base, network, log, engine


def _upload(page, panel, content: bytes, name: str) -> None:
    panel.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "buffer": content}
    )  # fmt: skip
    panel.get_by_text(name, exact=True).wait_for()  # the uploader holds it: the rerun that reads it has begun
    wait_until_idle(page)


def test_an_administrator_imports_a_budget_and_sees_the_category_furthest_over_budget_first(server):
    base, network, log, engine = server
    year = datetime.now(LAGOS).year
    with chromium() as browser:
        context = new_context(browser)
        page = context.new_page()
        try:
            sign_in(page, base, network.emails["ha_a"])
            open_from_menu(page, "Financials")
            main = page.locator('[data-testid="stMain"]')
            main.get_by_role("heading", name="Budget against actual").wait_for()
            expect(main).to_contain_text(f"No budget is set for {year} in this scope.")
            panel = main.locator('[data-testid="stExpander"]').filter(has_text="Import budgets from Excel")
            panel.locator("summary").click()
            wait_until_idle(page)
            _upload(page, panel, _workbook((ALPHA, year, "Salaries", 4_200_000), (ALPHA, year, "Staf", 100)),
                    "budgets-wrong.xlsx")  # fmt: skip
            page.locator(ERROR).filter(has_text="Nothing was imported: 1 row is wrong").wait_for()
            expect(panel).to_contain_text("Row 3: category 'Staf' is not one of")  # the list under the box: retried
            _upload(page, panel, _workbook((ALPHA, year, "Salaries", 4_200_000),
                                           (ALPHA, year, "Utilities and diesel", 1_200_000),
                                           (None, year, "Consultations", 4_800_000)), "budgets.xlsx")  # fmt: skip
            panel.get_by_text("“budgets.xlsx” holds 3 budget lines for Alpha Teaching Hospital").wait_for()
            panel.get_by_role("button", name="Import 3 budget lines").click()
            main.get_by_text("3 budget lines imported from “budgets.xlsx”.").first.wait_for()
            wait_until_idle(page)
            main.get_by_text("Categories over budget").first.wait_for()
            charts_drawn(page)
            expect(main).to_contain_text("Furthest over budget: Utilities and diesel (expense), +₦")
            # The table behind the charts lists diesel first: the furthest over budget.
            table = main.locator('[data-testid="stDataFrame"]').filter(has_text="Budget to date").first
            first_row = table.locator('[role="row"]').nth(1)
            expect(first_row).to_contain_text("Utilities and diesel")  # drawn after the script ends: retried
            assert first_row.inner_text().startswith("Utilities and diesel"), first_row.inner_text()
            assert "\u25b2 Over budget" in first_row.inner_text() and "+" in first_row.inner_text()
            expect(main).to_contain_text("Expenses against budget")
            assert page.locator(ERROR).count() == 0
            if SHOTS:  # the forms open too, to see that they fit
                main.locator('[data-testid="stExpander"]').filter(has_text="Set a budget").locator("summary").click()
                wait_until_idle(page)
                page.get_by_text("Month by month").click()
                wait_until_idle(page)
                screenshot(page, Path(SHOTS) / "budgets-hospital-admin.png")
        except Exception:
            print(what_the_browser_saw(context, log))
            raise
        finally:
            context.close()
        for label in ("exec_net",) if SHOTS else ():  # how the part reads to an executive of the network
            context = new_context(browser)
            page = context.new_page()
            sign_in(page, base, network.emails[label])
            open_from_menu(page, "Financials")
            page.get_by_role("heading", name="Budget against actual").wait_for()
            charts_drawn(page)
            screenshot(page, Path(SHOTS) / f"budgets-{label}.png")
            context.close()
    with Session(engine) as session:
        stored = session.execute(
            select(HospitalBudget.category, func.sum(HospitalBudget.amount), func.count())
            .where(HospitalBudget.hospital_id == network.hospital_a)
            .group_by(HospitalBudget.category).order_by(HospitalBudget.category)
        ).all()  # fmt: skip
        assert stored == [("consultations", Decimal("4800000.00"), 12), ("salaries", Decimal("4200000.00"), 12),
                          ("utilities_and_diesel", Decimal("1200000.00"), 12)]  # fmt: skip
        audited = session.scalars(
            select(AuditLog.action_type).where(AuditLog.user_id == network.users["ha_a"],
                                               AuditLog.action_type.like("budget%"))
        ).all()  # fmt: skip
        assert audited == ["budgets_imported"]  # the wrong workbook wrote nothing, not even half
