"""Real browser on the Appointments page: physicians' hours and leave on the grid, and leave that clashes.

One `healthdash run` for the module, on the two-hospital network of tests/fixtures/two_hospitals.py with A's
physician (Chidi Okafor) keeping mornings every day and holding two bookings three days ahead, and a second
physician (Ngozi Eke) who keeps no hours. A's hospital administrator sees the grid's hours, records leave
over the booked day (the form's default days), is told how many bookings it clashes with, sees them listed and
the week's grid labelling the leave, and moves one. A network
ADMIN sees the same grid. Screenshots at 1400 px go to /tmp/shots/physician-hours/.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.platform.dates import LAGOS
from db.base import UserRole
from db.models import Appointment, PhysicianLeave, PhysicianSession, Profile
from tests.browser.support import (
    TIMEOUT_MS,
    charts_drawn,
    chromium,
    new_context,
    open_page,
    screenshot,
    served,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
)
from tests.browser.test_browser_appointments import expander, no_exception, set_date
from tests.fixtures.two_hospitals import _add_user, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(tempfile.gettempdir()) / "shots" / "physician-hours"  # kept after the run, to look at
TODAY = datetime.now(LAGOS).date()
BOOKED_DAY = TODAY + timedelta(days=3)  # inside the leave form's default days (today and the four after)
WARNING = '[data-testid="stAlertContentWarning"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'


def _fill(engine: Engine) -> dict:
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        chidi = session.scalars(select(Profile).where(Profile.user_id == network.users["physician_a"])).one()
        chidi.first_name, chidi.last_name, chidi.specialization = "Chidi", "Okafor", "Internal Medicine"
        other = _add_user(session, "ngozi.eke@test.healthdash.ng", network.password_hash, UserRole.PHYSICIAN,
                          network.hospital_a).profile  # fmt: skip
        other.specialization = "Paediatrics"
        for weekday in range(1, 8):  # mornings every day, so every test day has hours
            session.add(PhysicianSession(physician_id=chidi.id, hospital_id=network.hospital_a, weekday=weekday,
                                         starts="08:00", ends="12:00"))  # fmt: skip
        for at in ("09:00", "10:00"):
            hours, minutes = int(at[:2]), int(at[3:])
            session.add(Appointment(
                patient_id=network.users["patient"], physician_id=chidi.id, hospital_id=network.hospital_a,
                appointment_date=datetime.combine(BOOKED_DAY, time(hours, minutes), tzinfo=LAGOS),
                appointment_time=at, status="confirmed",
            ))  # fmt: skip
        chidi_id = chidi.id
    return {"network": network, "chidi": chidi_id}


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "physician-hours-server", _fill) as (base, url, filled, log, engine):
        yield base, filled, log, engine


@pytest.fixture(scope="module")
def browser():
    with chromium() as opened:
        yield opened


def _signed_in(browser, base: str, email: str):
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, base, email)
    open_page(page, base, "appointments", "Appointments")
    return page


def _grid_text(page) -> str:
    """The schedule grid's words (axes, legend, title), once it is drawn."""
    from playwright.sync_api import expect

    charts_drawn(page)
    grid = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="physician's hours").first
    expect(grid).to_be_visible(timeout=TIMEOUT_MS)
    return grid.text_content()


def test_a_hospital_admin_sees_hours_records_leave_and_moves_a_clashing_booking(server, browser):
    from playwright.sync_api import expect

    base, filled, log, engine = server
    page = _signed_in(browser, base, filled["network"].emails["ha_a"])
    try:
        grid = _grid_text(page)
        assert "Outside hours" in grid and "Free" in grid  # the legend names the shading
        assert "no hours set" in grid  # Ngozi Eke keeps no hours: her row says so
        # The form starts on Chidi (first by name) and on leave from today for five days: over the booked day.
        panel = expander(page, "Set a physician's hours and leave")
        expect(panel.get_by_text("Sunday").first).to_be_attached()  # his weekly sessions (a canvas table)
        expect(panel.get_by_text("2 booked appointments in these days")).to_be_visible(timeout=TIMEOUT_MS)
        panel.get_by_role("button", name="Record leave").click()
        wait_until_idle(page)
        expect(page.locator(SUCCESS).filter(has_text="2 booked appointments fall in it").first).to_be_visible()
        expect(page.locator(WARNING).filter(has_text="2 booked appointments to move").first).to_be_visible()
        expect(page.locator('[data-testid="stDataFrame"]').filter(has_text="Leave").first).to_be_visible()
        no_exception(page)
        with Session(engine) as session:
            [leave] = session.scalars(select(PhysicianLeave).where(PhysicianLeave.physician_id == filled["chidi"]))
            assert (leave.first_day, leave.last_day, leave.kind) == (TODAY, TODAY + timedelta(days=4), "leave")
        # The week's grid labels the leave days.
        page.get_by_text("Week", exact=True).first.click()  # the View control (a segmented control)
        wait_until_idle(page)
        grid = _grid_text(page)
        assert "On leave" in grid and "Leave" in grid
        SHOTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, SHOTS / "hospital-admin.png")
        # Move the first clashing booking with the ordinary reschedule, to the first day after the leave.
        set_date(page, "New date", TODAY + timedelta(days=5))
        page.get_by_role("button", name="Reschedule").first.click()
        wait_until_idle(page)
        expect(page.locator(WARNING).filter(has_text="1 booked appointment to move").first).to_be_visible()
        no_exception(page)
    except Exception:
        print(what_the_browser_saw(page.context, log))
        raise
    finally:
        page.context.close()


def test_a_network_admin_sees_the_hours_on_the_grid(server, browser):
    base, filled, log, _ = server
    page = _signed_in(browser, base, filled["network"].emails["admin"])
    try:
        grid = _grid_text(page)  # Chidi's row is outside hours or on leave (after the test above), Ngozi's free
        assert "Free" in grid and "no hours set" in grid and ("Outside hours" in grid or "On leave" in grid)
        assert page.get_by_role("heading", name="Working hours and leave").count() == 1
        no_exception(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, SHOTS / "admin.png")
    except Exception:
        print(what_the_browser_saw(page.context, log))
        raise
    finally:
        page.context.close()
