"""Real browser on Digests: a hospital administrator subscribes to a list as Excel and cancels it.

One `healthdash run` for the module (as the least-privilege app role), on the two-hospital network of
tests/fixtures/two_hospitals.py with a digest history of its own: the network administrator's board report,
delivered yesterday, and Alpha's administrator's alerts, which failed after its last attempt. The subscription
made through the page and its cancellation are checked in the database with their audit rows; the network
administrator's view (every subscription and the outbox) is kept as a screenshot when HEALTHDASH_SHOTS is set.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import AuditLog, DigestOutbox, DigestSubscription
from tests.browser.support import (
    choose,
    chromium,
    new_context,
    open_from_menu,
    screenshot,
    served,
    sign_in,
    wait_until_idle,
)
from tests.fixtures.two_hospitals import ALPHA, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")
SUCCESS = '[data-testid="stAlertContentSuccess"]'
ERROR = '[data-testid="stAlertContentError"]'


def _fill(engine: Engine):
    network = _build_network(engine)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with Session(engine) as session, session.begin():
        board = DigestSubscription(
            user_id=network.users["admin"],
            kind="board_report",
            cadence="weekly",
            send_time="07:00",
            weekday=0,
            created_at=yesterday - timedelta(days=30),
        )
        alerts = DigestSubscription(user_id=network.users["ha_a"], hospital_id=network.hospital_a,
                                    kind="alerts_summary", cadence="daily", send_time="06:30",
                                    created_at=yesterday - timedelta(days=3))  # fmt: skip
        session.add_all([board, alerts])
        session.flush()
        session.add_all([
            DigestOutbox(subscription_id=board.id, due_at=yesterday, status="sent", attempts=1, sent_at=yesterday,
                         recipient=network.emails["admin"], subject="Board report: All hospitals", size_bytes=48_211),
            DigestOutbox(subscription_id=alerts.id, hospital_id=network.hospital_a, due_at=yesterday, status="failed",
                         attempts=5, last_error="The mail server refused or could not be reached (ConnectionRefused"
                         "Error: [Errno 111] Connection refused)", recipient=network.emails["ha_a"]),
        ])  # fmt: skip
    return network


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "digests-server", _fill) as (base, _url, network, log, engine):
        yield base, network, log, engine


def test_a_hospital_administrator_subscribes_to_a_list_and_cancels_it(server):
    base, network, log, engine = server
    with chromium() as browser:
        page = new_context(browser).new_page()
        try:
            sign_in(page, base, network.emails["ha_a"])
            open_from_menu(page, "Digests")
            main = page.locator('[data-testid="stMain"]')
            main.locator('[data-testid="stDataFrame"]').first.wait_for()
            if SHOTS:
                screenshot(page, Path(SHOTS) / "digests-hospital-admin-before.png")
            text = main.inner_text()
            assert "Not delivered, last 7 days" in text and "1 delivery" in text  # their own failure, not the board's
            panel = main.locator('[data-testid="stExpander"]').filter(has_text="Add a digest")
            panel.locator("summary").click()
            wait_until_idle(page)
            choose(panel, "What to send", "Appointments (Excel)", typed="Appointments")
            wait_until_idle(page)
            panel.get_by_role("button", name="Subscribe").click()
            page.locator(SUCCESS).filter(has_text="Subscribed: Appointments (Excel)").first.wait_for()
            wait_until_idle(page)
            assert page.locator(ERROR).count() == 0
            assert f"Subscribed: Appointments (Excel) for {ALPHA}. Daily at 07:00" in main.inner_text()
            if SHOTS:
                screenshot(page, Path(SHOTS) / "digests-hospital-admin.png")
            choose(main, "Digest to cancel", f"Appointments (Excel) · {ALPHA} · Daily at 07:00",
                   typed="Appointments")  # fmt: skip
            main.get_by_role("button", name="Cancel this digest…").click()
            main.get_by_text("No more will be sent; what was sent stays listed.", exact=False).wait_for()
            main.get_by_role("button", name="Confirm").click()
            page.locator(SUCCESS).filter(has_text="Cancelled: Appointments (Excel)").first.wait_for()
            wait_until_idle(page)
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-2000:])
            raise
        finally:
            page.context.close()
        if SHOTS:  # the network administrator's view: everyone's digests and the outbox
            page = new_context(browser).new_page()
            sign_in(page, base, network.emails["admin"])
            open_from_menu(page, "Digests")
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
            screenshot(page, Path(SHOTS) / "digests-admin.png")
            page.context.close()
    with Session(engine) as session:
        made = session.scalars(select(DigestSubscription).where(DigestSubscription.list_key == "appointments")).one()
        assert (made.user_id, made.hospital_id, made.filters["days"], made.cadence, made.send_time) == (
            network.users["ha_a"], network.hospital_a, 7, "daily", "07:00")  # fmt: skip
        assert not made.active and made.cancelled_by == network.users["ha_a"]
        audited = session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == made.id)
                                  .order_by(AuditLog.created_at)).all()  # fmt: skip
        assert audited == ["digest_subscribed", "digest_cancelled"]
