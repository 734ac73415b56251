"""Real browser on the Emergencies page: the map draws offline, the desk refers, the receiver accepts.

One `healthdash run` for the module (as the least-privilege app role, under row-level security) on
a throwaway database holding the two-hospital network of tests/fixtures/two_hospitals.py, placed in Ibadan
(Alpha) and Abeokuta (Beta), ICU beds at Beta and one located critical emergency at Alpha.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import EmergencyRequest, Hospital, HospitalResource
from db.models.emergency import Referral
from tests.browser.support import (
    chromium,
    new_context,
    open_page,
    running_server,
    screenshot,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
    widget,
)
from tests.fixtures.two_hospitals import BETA, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOT = Path(tempfile.gettempdir()) / "healthdash-emergencies-map.png"  # looked at by hand


def _fill(engine: Engine):
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        for hospital, lat, lon in ((network.hospital_a, "7.3775", "3.9470"), (network.hospital_b, "7.1475", "3.3619")):
            session.execute(update(Hospital).where(Hospital.id == hospital)
                            .values(latitude=Decimal(lat), longitude=Decimal(lon)))  # fmt: skip
        session.add(HospitalResource(hospital_id=network.hospital_b, name="ICU beds", category="beds",
                                     total_quantity=5, available_quantity=3, in_use_quantity=2))  # fmt: skip
        emergency = EmergencyRequest(
            patient_id=network.users["patient"], emergency_type="stroke", severity="critical",
            hospital_id=network.hospital_a, location_latitude=Decimal("7.3000"), location_longitude=Decimal("3.9000"),
            created_at=datetime.now(UTC) - timedelta(hours=3),  # the oldest critical: first in the desk's list
        )  # fmt: skip
        session.add(emergency)
        session.flush()
        return network, emergency.id


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("emergencies") / "server.log"
    with running_server(admin_url, log, _fill) as (base, url, filled):
        yield base, url, filled, log


def _map_pixels(path: Path, box: dict) -> int:
    """How many pixels of the map's area differ from the page's white: the outline, capitals and points."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    left, top = int(box["x"]), int(box["y"])
    area = image.crop((left, top, left + int(box["width"]), top + int(box["height"])))
    return sum(1 for pixel in area.getdata() if sum(pixel) < 3 * 245)


def test_the_desk_refers_on_the_offline_map_and_the_receiver_accepts(server):
    base, url, (network, emergency), log = server
    outside: list[str] = []
    with chromium() as browser:
        desk = new_context(browser)
        page = desk.new_page()
        page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).netloc not in urlsplit(base).netloc
                and not r.url.startswith(("data:", "blob:")) else None)  # fmt: skip
        try:
            sign_in(page, base, network.emails["admin"])
            open_page(page, base, "emergencies", "Emergencies")
            canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
            canvas.wait_for()
            page.wait_for_timeout(1500)  # deck.gl draws on the next animation frames
            screenshot(page, SCREENSHOT)
            box = canvas.bounding_box()
            assert box["width"] >= 700  # Nigeria is about 650 pixels wide at the national zoom
            drawn = _map_pixels(SCREENSHOT, box)
            assert drawn > 0.03 * box["width"] * box["height"], drawn  # Nigeria's outline fills a good part
            # The nearest hospital with a free ICU bed is offered first; refer to it.
            offered = widget(page, "stSelectbox", "Refer to").get_by_role("combobox")
            assert offered.input_value().startswith(f"{BETA} · "), offered.input_value()
            page.get_by_role("button", name="Send referral").click()
            page.get_by_text("awaiting its answer").first.wait_for()
            wait_until_idle(page)
            withdraw = page.get_by_role("button", name="Withdraw the waiting referral")
            withdraw.wait_for()
            _accept_as_the_receiver(browser, base, network, log)
            # The desk's page was left open: within one poll (20 s) every panel says Accepted together.
            # (A fragment once redrew only the table, leaving "Waiting 0 min", a Withdraw button and
            # "1 awaiting" beside it.)
            expect(withdraw).to_have_count(0, timeout=40_000)
            wait_until_idle(page)
            awaiting = page.locator('[data-testid="stMetric"]', has_text="Referrals awaiting an answer")
            expect(awaiting.locator('[data-testid="stMetricValue"]')).to_have_text("0")
            expect(page.get_by_text("Waiting 0 min")).to_have_count(0)
            expect(page.get_by_text(f"{BETA} accepted this patient at").first).to_be_visible()
        except Exception as exc:
            raise AssertionError(what_the_browser_saw(desk, log)) from exc
        finally:
            desk.close()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            referral = session.scalars(select(Referral).where(Referral.emergency_request_id == emergency)).one()
            assert (referral.status, referral.to_hospital_id) == ("accepted", network.hospital_b)
            assert session.get(EmergencyRequest, emergency).hospital_id == network.hospital_b
    finally:
        engine.dispose()
    assert outside == []  # no tiles, fonts or scripts from the internet


def _accept_as_the_receiver(browser, base: str, network, log: Path) -> None:
    receiver = new_context(browser)
    page = receiver.new_page()
    try:
        sign_in(page, base, network.emails["ha_b"])
        open_page(page, base, "emergencies", "Emergencies")
        page.get_by_role("heading", name=f"Referrals to {BETA}").wait_for()
        page.get_by_role("button", name="Accept", exact=True).click()
        page.get_by_text("is coming to").first.wait_for()
        wait_until_idle(page)
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(receiver, log)) from exc
    finally:
        receiver.close()
