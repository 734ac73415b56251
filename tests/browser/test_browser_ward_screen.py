"""Real browser on the ward TV mode: pair a screen in Users & roles, open its link in a fresh browser, check the
view against the pages, then disconnect it from another browser and watch the screen say so at its refresh.

One `healthdash run` (as the least-privilege app role, so row-level security holds every read) on the two-hospital
network of tests/fixtures/two_hospitals.py plus beds of hospital A, with a short live refresh. Screenshots of the
view at 1920x1080 and 1366x768 and of the Users & roles part at 1400 px go to /tmp/shots/ward-screen/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import AuditLog, HospitalResource, WardScreen
from db.rules import resource_status
from tests.browser.support import (
    TIMEOUT_MS,
    chromium,
    new_context,
    open_page,
    screenshot,
    served,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
)
from tests.fixtures.two_hospitals import ALPHA, Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE_REFRESH = 3  # seconds between the view's refreshes on this server
SHOTS = Path("/tmp/shots/ward-screen")  # noqa: S108 (where the brief collects every part's screenshots)
TV_SIZES = ({"width": 1920, "height": 1080}, {"width": 1366, "height": 768})
DISCONNECTED = "This screen was disconnected; ask an administrator to pair it again."
CARDS = ("Free beds now", "Patients waiting", "Longest wait now", "Referrals awaiting an answer", "Open emergencies")


def _fill(engine: Engine) -> Network:
    network = _build_network(engine)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for name, total, free in (("General ward beds", 12, 5), ("ICU beds", 4, 1), ("Maternity beds", 8, 3)):
            session.add(HospitalResource(hospital_id=network.hospital_a, name=name, category="beds",
                                         total_quantity=total, available_quantity=free, in_use_quantity=total - free,
                                         status=resource_status(total, free, 0),
                                         updated_at=now - timedelta(hours=1)))  # fmt: skip
    return network


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    live = {"HEALTHDASH_LIVE_REFRESH_SECONDS": str(LIVE_REFRESH)}
    with served(admin_url, tmp_path_factory, "ward-screen", _fill, settings=live) as running:
        yield running


def cards(page) -> dict[str, str]:
    """Every card on the page: its label and the value it shows."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
             m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
             m.querySelector('[data-testid="stMetricValue"]').innerText.trim()]))"""
    )


def _minutes(shown: str) -> int:
    """'42 min', '2 h 5 min' as minutes."""
    hours = re.search(r"(\d+) h", shown)
    minutes = re.search(r"(\d+) min", shown)
    return (int(hours.group(1)) * 60 if hours else 0) + (int(minutes.group(1)) if minutes else 0)


def _pair_a_screen(page, base: str) -> str:
    open_page(page, base, "users", "Users & roles")
    page.get_by_label("Where it hangs").fill("Ward B nurses' station")
    page.get_by_role("button", name="Pair screen").click()
    code = page.locator('[data-testid="stCode"]').filter(has_text="/ward-screen?screen=")
    code.wait_for()
    wait_until_idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, SHOTS / "users-ward-screens-1400.png")
    link = code.inner_text().strip()
    assert re.fullmatch(rf"{re.escape(base)}/ward-screen\?screen=\w+&key=[\w-]{{40,}}", link), link
    return link


def test_a_paired_screen_shows_the_pages_numbers_and_goes_dark_when_disconnected(server):
    base, _url, network, log, engine = server
    with chromium() as browser:
        staff, tv = new_context(browser), browser.new_context(viewport=TV_SIZES[0])
        tv.set_default_timeout(TIMEOUT_MS)
        try:
            desk = staff.new_page()
            sign_in(desk, base, network.emails["ha_a"])  # lands on the Overview: its cards are read below
            seen = {label: value for label, value in cards(desk).items() if label in CARDS}
            link = _pair_a_screen(desk, base)
            screen_id = link.split("screen=")[1].split("&")[0]
            with Session(engine) as session:  # only the hash is kept, never the key
                assert session.get(WardScreen, screen_id).key_hash != link.split("key=")[1]

            wall = tv.new_page()
            wall.goto(link)
            wall.locator('[data-testid="stMetric"]', has_text="Open emergencies").wait_for()
            wait_until_idle(wall)
            assert wall.get_by_text(ALPHA, exact=True).count() == 1
            assert "key=" not in wall.url  # the secret left the address bar
            assert wall.locator('[data-testid="stSidebar"]').count() == 0  # no menu, no sidebar
            shown = cards(wall)
            assert list(shown)[:5] == list(CARDS)
            for size in TV_SIZES:  # fits without scrolling
                wall.set_viewport_size(size)
                wall.wait_for_timeout(300)
                wall.screenshot(path=str(SHOTS / f"ward-screen-{size['width']}x{size['height']}.png"))
                overflow = wall.evaluate(
                    "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                    " return m.scrollHeight - m.clientHeight; }"
                )
                assert overflow <= 2, (size, overflow)

            # The pages a member of staff reads show the same numbers (the Overview's were read at sign-in).
            for path, title in (("waitlist", "Waitlist"), ("emergencies", "Emergencies")):
                open_page(desk, base, path, title)
                seen.update({label: value for label, value in cards(desk).items() if label in CARDS})
            assert set(seen) == set(CARDS)
            waits = [_minutes(shown.pop("Longest wait now")), _minutes(seen.pop("Longest wait now"))]
            assert abs(waits[0] - waits[1]) <= 1  # read a few seconds apart, while the patient still waits
            assert {label: shown[label] for label in seen} == seen

            # Another page is refused to the screen, in a sentence, and the attempt is on record.
            wall.goto(f"{base}/overview")
            wall.get_by_text("This screen shows only its ward view, not Overview.").wait_for()
            assert wall.get_by_role("heading", name="Overview").count() == 0

            wall.goto(base)  # the screen comes back from its cookie alone, with no link
            wall.get_by_text(ALPHA, exact=True).wait_for()

            open_page(desk, base, "users", "Users & roles")
            desk.get_by_role("button", name="Disconnect…").click()
            desk.get_by_role("button", name="Confirm").click()
            desk.get_by_text("is disconnected: it shows the disconnected notice").first.wait_for()
            wall.get_by_text(DISCONNECTED).wait_for(timeout=(LIVE_REFRESH + 12) * 1000)  # at its next refresh
            assert cards(wall) == {}
        except Exception:
            print(what_the_browser_saw(tv, log))
            print(what_the_browser_saw(staff, None))
            raise
        finally:
            staff.close()
            tv.close()
    with Session(engine) as session:
        actions = set(session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == screen_id)))
    assert {"ward_screen_created", "screen_paired", "permission_denied", "ward_screen_revoked"} <= actions
