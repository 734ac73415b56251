"""Real browser on Peers: a network executive sees who lags hospitals of its own kind and size.

One `healthdash run` for the module (as the least-privilege app role), on the two-hospital network of
tests/fixtures/two_hospitals.py, with Alpha and two more teaching hospitals (Gamma, Delta) of 20 beds each and
Beta a specialist hospital on its own (too few of its type to compare). Alpha lags its peers on three figures:
occupancy 40% against Gamma's 80% and Delta's 70% (median 70%), every appointment of today a no-show against none, and a
compliance score of 50 against 85 and 90. One sign-in; with HEALTHDASH_SHOTS set, Alpha's administrator's view is
photographed too.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.models import Appointment, Hospital, HospitalComplianceTracking, HospitalResource
from tests.browser.support import charts_drawn, chromium, new_context, open_from_menu, screenshot, served, sign_in
from tests.fixtures.two_hospitals import ALPHA, BETA, Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")  # a folder: the page's screenshots are kept there when set
GAMMA, DELTA = "Gamma Teaching Hospital", "Delta Teaching Hospital"


def _fill(engine: Engine) -> Network:
    network = _build_network(engine)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        gamma, delta = Hospital(name=GAMMA, facility_type="teaching"), Hospital(name=DELTA, facility_type="teaching")
        session.add_all([gamma, delta])
        session.flush()
        session.execute(update(Hospital).where(Hospital.id == network.hospital_a).values(facility_type="teaching"))
        session.execute(update(Hospital).where(Hospital.id == network.hospital_b).values(facility_type="specialist"))
        for hospital_id, in_use, score in ((network.hospital_a, 8, 50), (gamma.id, 16, 85), (delta.id, 14, 90),
                                           (network.hospital_b, 10, 70)):  # fmt: skip
            session.add(HospitalResource(hospital_id=hospital_id, name="General ward", category="beds",
                                         total_quantity=20, available_quantity=20 - in_use, in_use_quantity=in_use,
                                         maintenance_quantity=0))  # fmt: skip
            session.add(HospitalComplianceTracking(hospital_id=hospital_id, compliance_type="fire_safety", score=score,
                                                   status="compliant", last_assessment_date=now))  # fmt: skip
        # Alpha's appointments of today (two_hospitals') were missed; Gamma and Delta each saw one patient today.
        session.execute(
            update(Appointment).where(Appointment.hospital_id == network.hospital_a).values(status="no_show")
        )
        physician = session.scalar(select(Appointment.physician_id).limit(1))
        for hospital_id, slot in ((gamma.id, "11:00"), (delta.id, "11:30")):
            session.add(Appointment(patient_id=network.users["patient"], physician_id=physician,
                                    hospital_id=hospital_id, appointment_date=now, appointment_time=slot,
                                    status="completed"))  # fmt: skip
    return network


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "peers-server", _fill) as (base, _url, network, log, engine):
        yield base, network, log


def test_an_executive_sees_the_hospital_that_lags_its_peers_first(server):
    base, network, log = server
    with chromium() as browser:
        page = new_context(browser).new_page()
        try:
            sign_in(page, base, network.emails["exec_net"])
            open_from_menu(page, "Peers")
            main = page.locator('[data-testid="stMain"]')
            table = main.locator('[data-testid="stDataFrame"]').first
            table.wait_for()
            charts_drawn(page)
            text = main.inner_text()
            assert "Behind their peers" in text and "Hospitals compared" in text
            chart = main.locator('[data-testid="stPlotlyChart"]').first.inner_text()
            assert "Occupancy: each hospital against its peer median" in chart and ALPHA in chart
            expect(table).to_contain_text(ALPHA)  # the grid draws on a canvas; its cells' text comes a moment later
            grid = table.text_content() or ""
            assert grid.index(ALPHA) < grid.index(GAMMA) and grid.index(ALPHA) < grid.index(DELTA)  # the laggard first
            assert "Teaching, <50 beds (3)" in grid
            assert "3 of 3" in grid  # occupancy, no-shows and score behind; no stays or revenue to compare
            assert "▼ −30.0 pts" in grid  # Alpha's 40% against the median of 40, 70 and 80
            assert BETA in grid and "Specialist, all sizes (1: too few)" in grid
            if SHOTS:
                screenshot(page, Path(SHOTS) / "peers-executive.png")
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-2000:])
            raise
        finally:
            page.context.close()
        if SHOTS:  # how Alpha's own administrator sees it: Alpha's figures and the medians, no other name
            page = new_context(browser).new_page()
            sign_in(page, base, network.emails["ha_a"])
            open_from_menu(page, "Peers")
            charts_drawn(page)
            shown = page.locator('[data-testid="stMain"]').inner_text()
            assert GAMMA not in shown and DELTA not in shown and "Peer median" in shown
            screenshot(page, Path(SHOTS) / "peers-hospital-admin.png")
            page.context.close()
