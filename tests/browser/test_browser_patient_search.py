"""Real browser: a hospital administrator finds a patient the way staff do, in the admit and booking pickers.

One `healthdash run` on the two-hospital network of tests/fixtures/two_hospitals.py plus Chukwuma Okonkwo,
a patient with a phone (written the way the platform's app stores it) and a birth date, booked once at
hospital A so that A has given him its number. The admit form finds him by a misspelt name and by his
hospital number, the booking form by his phone as a clerk types it; each option shows his name, number,
phone and age. With SHOTS set to a folder, the open lists are saved there as screenshots (1400 px wide).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.base import UserRole
from db.models import Appointment, PatientHospitalNumber, Profile
from tests.browser.support import (
    chromium,
    list_after_one_click,
    new_context,
    open_page,
    option_shown,
    served,
    settled,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
    widget,
)
from tests.fixtures.two_hospitals import _add_user, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = "Chukwuma Okonkwo"
PHONE_STORED = "+234-803-555-0142"
LIVE_EXPANDER = '[data-testid="stExpander"]:not([data-stale="true"])'


def _fill(engine: Engine) -> dict:
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        user = _add_user(session, "chukwuma.okonkwo@test.healthdash.ng", network.password_hash, UserRole.PATIENT, None)
        user.profile.first_name, user.profile.last_name = "Chukwuma", "Okonkwo"
        user.profile.phone = PHONE_STORED
        user.profile.date_of_birth = datetime(1984, 5, 17, tzinfo=UTC)
        physician = session.scalars(select(Profile.id).where(Profile.user_id == network.users["physician_a"])).one()
        when = datetime.combine(datetime.now(UTC).date() - timedelta(days=40), time(9, 0), tzinfo=UTC)
        session.add(Appointment(patient_id=user.id, physician_id=physician, hospital_id=network.hospital_a,
                                appointment_date=when, appointment_time="10:00", status="completed"))  # fmt: skip
        session.flush()
        number = session.scalars(
            select(PatientHospitalNumber.number).where(
                PatientHospitalNumber.patient_id == user.id, PatientHospitalNumber.hospital_id == network.hospital_a
            )
        ).one()
        patient = user.id
    return {"network": network, "patient": patient, "number": number}


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "search-server", _fill) as (base, url, filled, log, engine):
        yield base, filled, log


@pytest.fixture(scope="module")
def page(server):
    base, filled, log = server
    with chromium() as browser:
        ctx = new_context(browser)
        tab = ctx.new_page()
        sign_in(tab, base, filled["network"].emails["ha_a"])
        yield tab
        ctx.close()


@pytest.fixture(autouse=True)
def _show_the_browser_on_failure(request, server, page):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(what_the_browser_saw(page.context, server[2]))


def _panel(page, title: str):
    box = page.locator(LIVE_EXPANDER).filter(has_text=title).first
    if box.locator("details").first.get_attribute("open") is None:
        box.locator("summary").first.click()
    box.locator('[data-testid="stExpanderDetails"]').first.wait_for()
    settled(box)
    return box


def _search(page, panel, typed: str, shown: str) -> list[str]:
    """Type into "Find the patient", press Enter, and return what the Patient list offers."""
    search = widget(panel, "stTextInput", "Find the patient").locator("input")
    search.fill(typed)
    search.press("Enter")
    option_shown(page, shown)  # the rerun has drawn the live Patient box (it replaces the idle one)
    wait_until_idle(page)
    return list_after_one_click(page, panel, "Patient", then_shown=shown)


def _shot(page, name: str) -> None:
    if os.environ.get("SHOTS"):
        folder = Path(os.environ["SHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name))


def _age() -> int:
    today = datetime.now(UTC).date()
    return today.year - 1984 - ((today.month, today.day) < (5, 17))


def test_the_admit_form_finds_a_misspelt_name_and_a_hospital_number(server, page):
    base, filled, _ = server
    number = filled["number"]
    expected = f"{NAME} · {number} · 0803 555 0142 · age {_age()}"
    open_page(page, base, "admissions", "Admissions")
    admit = _panel(page, "Admit a patient")
    offered = _search(page, admit, "Chukwma", NAME)
    assert expected in offered, offered
    box = widget(admit, "stSelectbox", "Patient").get_by_role("combobox", name="Patient", exact=True)
    box.click()
    page.get_by_role("option").first.wait_for()
    _shot(page, "admit-misspelt-name.png")
    page.keyboard.press("Escape")
    prefix, digits = number.split("-")
    offered = _search(page, admit, f"{prefix.lower()} {int(digits)}", NAME)  # "ath 3": how a card is read out
    assert offered == [expected], offered


def test_the_booking_form_finds_the_phone_however_it_is_typed(server, page):
    base, filled, _ = server
    open_page(page, base, "appointments", "Appointments")
    book = _panel(page, "Book an appointment")
    for typed in ("+234 803 555 0142", "234-803-555"):  # (0803 555 0142: the service tests)
        offered = _search(page, book, typed, NAME)
        assert offered and offered[0].startswith(f"{NAME} · {filled['number']} · 0803 555 0142"), (typed, offered)
    box = widget(book, "stSelectbox", "Patient").get_by_role("combobox", name="Patient", exact=True)
    box.click()
    page.get_by_role("option").first.wait_for()
    _shot(page, "book-by-phone.png")
    page.keyboard.press("Escape")
