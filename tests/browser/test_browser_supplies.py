"""Real browser on supplies that say when they run out: one `healthdash run` on the two-hospital network plus a
blood store running dry at hospital A. Its hospital administrator sees it named on the Overview and on Resources
& beds in the same words, its history drawn, an empty count refused, and records what was used.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.domains.floor.supply_burn import lagos_today
from dashboard.platform.dates import LAGOS
from db.models import HospitalResource, ResourceStockMovement
from db.rules import resource_status
from tests.browser.support import (
    charts_drawn,
    chromium,
    fill_number,
    new_context,
    open_page,
    served,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
    widget,
)
from tests.fixtures.two_hospitals import _build_network

pytestmark = pytest.mark.browser

BLOOD = "Blood units (O+)"
OXYGEN = "Oxygen cylinders"
ERROR = '[data-testid="stAlertContentError"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'


def _fill(engine: Engine) -> dict:
    """Hospital A's O+ blood: 3 used a day for 40 days, 7 left (about 2 days, under blood's 3-day lead time);
    its oxygen, used 2 a day with 60 in stock (30 days)."""
    network = _build_network(engine)
    today = lagos_today()
    with Session(engine) as session, session.begin():
        ids = {}
        for name, category, stock, daily in ((BLOOD, "blood", 7, 3), (OXYGEN, "oxygen", 60, 2)):
            resource = HospitalResource(hospital_id=network.hospital_a, name=name, category=category,
                                        total_quantity=stock, available_quantity=stock,
                                        status=resource_status(stock, stock, 0))  # fmt: skip
            session.add(resource)
            session.flush()
            for days_ago in range(40, 0, -1):  # yesterday and before: today's use is what the test records
                session.add(ResourceStockMovement(
                    resource_id=resource.id, hospital_id=network.hospital_a, kind="usage", used_quantity=daily,
                    received_quantity=0, stock_after=stock + daily * (days_ago - 1),
                    recorded_at=datetime.combine(today - timedelta(days=days_ago), time(18), tzinfo=LAGOS),
                ))  # fmt: skip
            ids[name] = resource.id
    return {"network": network, "resources": ids}


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "supplies-server", _fill) as served_parts:
        yield served_parts


def test_a_hospital_admin_sees_the_supply_running_out_its_chart_and_records_what_was_used(server):
    base, _, filled, log, engine = server
    network, blood = filled["network"], filled["resources"][BLOOD]
    with chromium() as browser:
        context = new_context(browser)
        page = context.new_page()
        try:
            sign_in(page, base, network.emails["ha_a"])
            # The Overview's alerts name it in the words the Resources page uses: one status for one thing.
            alert = page.get_by_text(f"{BLOOD}: 7 in stock, runs out in about 2 days").first
            alert.wait_for()
            assert "a delivery takes 3 days" in alert.inner_text()
            open_page(page, base, "resources", "Resources & beds")
            page.get_by_text("Supplies: when each runs out").wait_for()
            assert page.get_by_text(f"{BLOOD}: 7 in stock, runs out in about 2 days").count() == 1
            # The table is drawn on a canvas (no text to find); its card counts the same rows.
            card = page.locator('[data-testid="stMetric"]').filter(has_text="Supplies to order now")
            assert "1 of 2" in card.inner_text()
            charts_drawn(page, at_least=2)  # the categories and the chosen supply's history
            assert page.get_by_text(f"{BLOOD}: used each day and the stock left").count() == 1
            form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Record"))
            form.get_by_role("button", name="Record").click()  # no number typed
            page.locator(ERROR).filter(has_text="Enter the number used").first.wait_for()
            fill_number(form, "Units", 2)
            widget(form, "stTextInput", "Note (optional)").locator("input").fill("Theatre 2")
            form.get_by_role("button", name="Record").click()
            page.locator(SUCCESS).filter(has_text=f"Recorded: 2 {BLOOD} used.").first.wait_for()
            wait_until_idle(page)
            page.get_by_text(f"{BLOOD}: 5 in stock, runs out in about 1 day").first.wait_for()
        except Exception:
            print(what_the_browser_saw(context, log))
            raise
        finally:
            context.close()
    with Session(engine) as session:
        row = session.get(HospitalResource, blood)
        assert (row.available_quantity, row.total_quantity) == (5, 5)
        recorded = session.scalars(
            select(ResourceStockMovement).where(
                ResourceStockMovement.resource_id == blood, ResourceStockMovement.recorded_by.is_not(None)
            )
        ).all()
        assert [(m.kind, m.used_quantity, m.stock_after, m.note, m.recorded_by) for m in recorded] == [
            ("usage", 2, 5, "Theatre 2", network.users["ha_a"])
        ]
