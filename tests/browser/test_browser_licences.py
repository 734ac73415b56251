"""Real browser on Licences: a network administrator sees what expires next and renews one.

One `healthdash run` for the module (as the least-privilege app role), on the two-hospital network of
tests/fixtures/two_hospitals.py with licences of its own: Beta's operating licence expired 5 days ago,
Alpha's expires in 10 days (with its PDF), Alpha's NHIA accreditation in 200. The renewal made through
the page is checked in the database: the new expiry, the renewal row with who, and its audit row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.platform.dates import LAGOS
from db.demo.licences import tiny_pdf
from db.models import AuditLog, FacilityLicence, FacilityLicenceDocument, FacilityLicenceRenewal
from tests.browser.support import chromium, new_context, open_from_menu, screenshot, served, sign_in, wait_until_idle
from tests.fixtures.two_hospitals import ALPHA, BETA, Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")  # a folder: the page's screenshots are kept there when set
SUCCESS = '[data-testid="stAlertContentSuccess"]'
ERROR = '[data-testid="stAlertContentError"]'


@dataclass
class Filled:
    network: Network
    today: date
    lapsed: str  # Beta's expired operating licence
    soon: str  # Alpha's, in 10 days


def _fill(engine: Engine) -> Filled:
    network = _build_network(engine)
    today = datetime.now(LAGOS).date()
    with Session(engine) as session, session.begin():
        rows = {
            "lapsed": FacilityLicence(hospital_id=network.hospital_b, kind="operating_licence",
                                      issuer="Kano State Ministry of Health", registry_number="KAN/SMOH/2025/0107",
                                      issued_on=today - timedelta(days=370), expires_on=today - timedelta(days=5)),
            "soon": FacilityLicence(hospital_id=network.hospital_a, kind="operating_licence",
                                    issuer="Oyo State Ministry of Health", registry_number="OYO/SMOH/2025/0311",
                                    issued_on=today - timedelta(days=355), expires_on=today + timedelta(days=10)),
            "later": FacilityLicence(hospital_id=network.hospital_a, kind="accreditation",
                                     issuer="NHIA", registry_number="NHIA/HCF/52118",
                                     issued_on=today - timedelta(days=900), expires_on=today + timedelta(days=200)),
        }  # fmt: skip
        session.add_all(rows.values())
        session.flush()
        paper = tiny_pdf("Operating licence OYO/SMOH/2025/0311", ALPHA)
        session.add(FacilityLicenceDocument(licence_id=rows["soon"].id, hospital_id=network.hospital_a,
                                            file_name="oyo-licence.pdf", content_type="application/pdf",
                                            size_bytes=len(paper), content=paper))  # fmt: skip
        return Filled(network, today, rows["lapsed"].id, rows["soon"].id)


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "licences-server", _fill) as (base, _url, filled, log, engine):
        yield base, filled, log, engine


def test_an_administrator_sees_what_expires_next_and_renews_it(server):
    base, filled, log, engine = server
    with chromium() as browser:
        page = new_context(browser).new_page()
        try:
            sign_in(page, base, filled.network.emails["admin"])
            # The Overview names the expired licence and the one expiring, each leading to Licences.
            main = page.locator('[data-testid="stMain"]')
            main.get_by_text(f"Operating licence of {BETA}", exact=False).first.wait_for()
            open_from_menu(page, "Licences")
            table = main.locator('[data-testid="stDataFrame"]').first
            table.wait_for()
            text = main.inner_text()
            assert "Licences expired" in text and "Expiring within 30 days" in text
            assert f"Operating licence of {BETA} (Kano State Ministry of Health) expired on" in text
            if SHOTS:
                screenshot(page, Path(SHOTS) / "licences-admin.png")
            panel = main.locator('[data-testid="stExpander"]').filter(has_text="A licence: renewals")
            panel.locator("summary").click()
            wait_until_idle(page)
            assert "Not renewed through the dashboard yet." in panel.inner_text()  # the first row: Beta's, expired
            chosen = panel.get_by_role("combobox", name="Licence", exact=True).input_value()
            assert chosen.startswith(f"{BETA} · Operating licence · Kano State Ministry of Health"), chosen
            # The panel opens on the list's first row: what expired, before what expires next.
            panel.get_by_label("Note").fill("Renewal certificate collected from the ministry.")
            panel.get_by_role("button", name="Record the renewal").click()
            page.locator(SUCCESS).filter(has_text="renewed to").first.wait_for()
            wait_until_idle(page)
            assert page.locator(ERROR).count() == 0
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-2000:])
            raise
        finally:
            page.context.close()
        for label in ("ha_a", "comp_a") if SHOTS else ():  # how the page looks to a hospital's own staff
            page = new_context(browser).new_page()
            sign_in(page, base, filled.network.emails[label])
            open_from_menu(page, "Licences")
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
            screenshot(page, Path(SHOTS) / f"licences-{label}.png")
            page.context.close()
    with Session(engine) as session:
        licence = session.get(FacilityLicence, filled.lapsed)
        assert licence.expires_on == filled.today + timedelta(days=365)  # the form's default: a year from today
        renewal = session.scalars(
            select(FacilityLicenceRenewal).where(FacilityLicenceRenewal.licence_id == licence.id)
        ).one()
        assert renewal.renewed_by == filled.network.users["admin"]
        assert renewal.previous_expires_on == filled.today - timedelta(days=5)
        assert renewal.note == "Renewal certificate collected from the ministry."
        audited = session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == licence.id)).all()
        assert audited == ["licence_renewed"]
