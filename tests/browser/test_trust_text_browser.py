"""In a real browser: a compliance type typed as HTML is no link in the charts, and a diversion reason with a
web address is no link in the message.

`healthdash run` on a throwaway database (tests/browser/support.py) with the two-hospital network, a
compliance type '<a href=…>…</a> <b>…</b>' assessed in both hospitals, and Alpha on diversion with
addresses in its reason. Plotly draws a link as an <a> inside the chart's SVG and bold as a tspan with
font-weight bold; Streamlit's Markdown draws an autolink as an <a> in the alert. None may appear, and
the words must still be there, as typed. Screenshots go to $TMPDIR/trust-text-screens.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from dashboard.platform.dates import LAGOS
from db.models import Hospital, HospitalComplianceTracking
from tests.browser.support import (
    charts_drawn,
    chromium,
    new_context,
    open_page,
    running_server,
    screenshot,
    sign_in,
    what_the_browser_saw,
)
from tests.fixtures.two_hospitals import Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HCT = HospitalComplianceTracking
SHOTS = Path(tempfile.gettempdir()) / "trust-text-screens"
TRAP_TYPE = '<a href="https://evil.example">Fire</a> <b>safety</b>'
TRAP_REASON = "Flooded theatre, see https://evil.example/news or www.evil.example, or mail desk@evil.example"
CHART_LINKS = '[data-testid="stPlotlyChart"] svg a'
CHART_BOLD = '[data-testid="stPlotlyChart"] svg tspan[style*="bold"]'


def _at(days_ago: int) -> datetime:
    return datetime.combine(datetime.now(LAGOS).date() - timedelta(days=days_ago), time(12), tzinfo=LAGOS)


def _fill(engine: Engine) -> Network:
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        session.add_all([
            HCT(hospital_id=network.hospital_a, compliance_type=TRAP_TYPE, status="non_compliant", score=40,
                last_assessment_date=_at(60), next_assessment_due=_at(-30)),
            HCT(hospital_id=network.hospital_a, compliance_type=TRAP_TYPE, status="partially_compliant", score=70,
                last_assessment_date=_at(5), next_assessment_due=_at(-90)),
            HCT(hospital_id=network.hospital_b, compliance_type=TRAP_TYPE, status="compliant", score=90,
                last_assessment_date=_at(3), next_assessment_due=_at(-90)),
        ])  # fmt: skip
        session.execute(update(Hospital).where(Hospital.id == network.hospital_a).values(
            accepting_patients=False, diversion_reason=TRAP_REASON, diversion_since=_at(0),
            diversion_until=datetime.now(LAGOS) + timedelta(days=1)))  # fmt: skip
    return network


@dataclass
class Server:
    base: str
    network: Network
    log: Path


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("trust-text-server") / "healthdash-run.log"
    with running_server(admin_url, log, _fill) as (base, _url, network):
        yield Server(base, network, log)


@pytest.fixture
def tab(server, request):
    with chromium() as browser:
        ctx = new_context(browser)
        page = ctx.new_page()
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(what_the_browser_saw(ctx, server.log))
        ctx.close()


@pytest.mark.parametrize("account", ["admin", "ha_a"])
def test_a_compliance_type_typed_as_html_is_no_link_and_no_bold_in_the_charts(server, tab, account):
    sign_in(tab, server.base, server.network.emails[account])
    open_page(tab, server.base, "compliance", "Compliance")
    charts_drawn(tab)
    SHOTS.mkdir(exist_ok=True)
    screenshot(tab, SHOTS / f"compliance-{account}.png")
    charts = tab.locator('[data-testid="stPlotlyChart"] svg.main-svg')
    drawn = " ".join(charts.all_text_contents())
    assert "safety" in drawn and "<a" in drawn, drawn[:500]  # the type is drawn, its tags as characters
    assert tab.locator(CHART_LINKS).count() == 0
    assert tab.locator(CHART_BOLD).count() == 0


def test_a_diversion_reason_with_web_and_email_addresses_is_no_link(server, tab):
    sign_in(tab, server.base, server.network.emails["ha_a"])
    open_page(tab, server.base, "emergencies", "Emergencies")
    alert = tab.locator('[data-testid="stAlert"]').filter(has_text="NOT accepting patients")
    alert.first.wait_for()
    SHOTS.mkdir(exist_ok=True)
    screenshot(tab, SHOTS / "emergencies-diversion.png")
    shown = alert.first.inner_text().replace("\u2060", "")
    assert "https://evil.example/news or www.evil.example, or mail desk@evil.example" in shown, shown
    assert alert.first.locator("a").count() == 0
