"""Real browser on Claims: a network administrator sees what the payers owe, clicks the 90+ days bar of the ageing
chart, sees the claims behind it, and records a payment on one (confirmed first).

One `healthdash run` for the module (as the least-privilege app role), on the two-hospital network of
tests/fixtures/two_hospitals.py with claims of its own at Alpha: NHIA claims open 10, 45, 75, 120 and 200 days,
a Hygeia claim paid after 20 days (the ledger books the same as HMO claims revenue) and a Leadway claim denied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.platform.dates import LAGOS
from db.models import AuditLog, Claim, HospitalFinancialData
from tests.browser.support import (
    charts_drawn,
    chromium,
    new_context,
    open_from_menu,
    screenshot,
    served,
    settled,
    sign_in,
    wait_until_idle,
)
from tests.fixtures.two_hospitals import Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")
SUCCESS = '[data-testid="stAlertContentSuccess"]'
ERROR = '[data-testid="stAlertContentError"]'
OPEN_DAYS = (10, 45, 75, 120, 200)


@dataclass
class Filled:
    network: Network
    oldest: str  # the claim open 200 days


def _fill(engine: Engine) -> Filled:
    network = _build_network(engine)
    today = datetime.now(LAGOS).date()
    paid_on = today - timedelta(days=2)

    def at(day) -> datetime:
        return datetime.combine(day, time(11), tzinfo=LAGOS)

    with Session(engine) as session, session.begin():
        rows = [
            Claim(hospital_id=network.hospital_a, payer_kind="nhia", payer_name="NHIA", claim_number=f"NHIA-{days}",
                  patient_id=network.users["patient"], service_date=today - timedelta(days=days + 5),
                  amount_billed=Decimal(10_000 * (n + 1)), submitted_at=at(today - timedelta(days=days)))
            for n, days in enumerate(OPEN_DAYS)
        ]  # fmt: skip
        rows.append(Claim(hospital_id=network.hospital_a, payer_kind="hmo", payer_name="Hygeia HMO",
                          claim_number="HYG-1", patient_id=network.users["patient"],
                          service_date=paid_on - timedelta(days=25), amount_billed=Decimal(80_000),
                          submitted_at=at(paid_on - timedelta(days=20)), paid_at=at(paid_on),
                          amount_paid=Decimal(72_000)))  # fmt: skip
        rows.append(Claim(hospital_id=network.hospital_a, payer_kind="hmo", payer_name="Leadway Health",
                          claim_number="LWY-1", patient_id=network.users["patient"],
                          service_date=paid_on - timedelta(days=15), amount_billed=Decimal(30_000),
                          submitted_at=at(paid_on - timedelta(days=10)), denied_at=at(paid_on),
                          denial_reason="no_authorisation"))  # fmt: skip
        session.add_all(rows)
        session.add(HospitalFinancialData(hospital_id=network.hospital_a, transaction_type="revenue",
                                          category="hmo_claims", amount=Decimal(72_000),
                                          fiscal_month=f"{paid_on:%Y-%m}"))  # fmt: skip
        session.flush()
        return Filled(network, rows[-3].id)


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "claims-server", _fill) as (base, _url, filled, log, engine):
        yield base, filled, log, engine


def test_click_the_90_days_bar_see_its_claims_and_record_a_payment(server):
    from playwright.sync_api import expect

    base, filled, log, engine = server
    with chromium() as browser:
        page = new_context(browser).new_page()
        try:
            sign_in(page, base, filled.network.emails["admin"])
            open_from_menu(page, "Claims")
            charts_drawn(page, at_least=3)
            main = page.locator('[data-testid="stMain"]')
            text = main.inner_text()
            assert "Owed on claims" in text and "₦150.0K" in text  # 10,000 + ... + 50,000 open
            assert "Owed over 90 days" in text and "₦90.0K" in text and "2 claims over 90 days" in text
            assert "Claims paid in" in text and "₦72,000.00 = ledger ₦72,000.00" in text
            if SHOTS:
                screenshot(page, Path(SHOTS) / "claims-admin.png")
            ageing = main.locator('[data-testid="stPlotlyChart"]').filter(has_text="Owed by payer and age").first
            settled(ageing)
            ageing.locator("g.trace.bars").nth(3).locator("g.point path").first.click(force=True)  # 90+ days
            wait_until_idle(page)
            expect(main).to_contain_text("Open, 90+ days: NHIA")
            grid = main.locator('[data-testid="stDataFrame"]').filter(has_text="NHIA-200").first
            expect(grid).to_contain_text("NHIA-120")
            assert "NHIA-75" not in grid.inner_text() and "NHIA-10" not in grid.inner_text()
            expect(main).to_contain_text("2 claims")  # the pager's count of what is behind the bar
            if SHOTS:
                screenshot(page, Path(SHOTS) / "claims-over-90.png")
            panel = main.locator('[data-testid="stExpander"]').filter(has_text="Record a claim's")
            panel.locator("summary").click()
            wait_until_idle(page)
            assert panel.get_by_role("combobox", name="Claim").input_value().startswith("NHIA-200 · ")
            panel.get_by_role("button", name="Record the payment…").click()
            wait_until_idle(page)
            expect(main).to_contain_text("Record that NHIA paid ₦50,000.00 on claim NHIA-200")
            main.get_by_role("button", name="Confirm").click()
            done = "Payment of ₦50,000.00 by NHIA recorded on claim NHIA-200"
            page.locator(SUCCESS).filter(has_text=done).first.wait_for()
            wait_until_idle(page)
            assert page.locator(ERROR).count() == 0
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-2000:])
            raise
        finally:
            page.context.close()
    with Session(engine) as session:
        claim = session.get(Claim, filled.oldest)
        assert claim.amount_paid == Decimal("50000.00") and claim.paid_at is not None
        audited = session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == claim.id)).all()
        assert audited == ["claim_paid"]
