"""Real browser on the Appointments page: book a slot, be refused the same slot, move the booking.

One `healthdash run` for the module, on a throwaway database holding the two-hospital network of
tests/fixtures/two_hospitals.py with its patient and hospital A's physician given names. A's hospital
administrator books through the page; after each press the database is read with a fresh Session
(the appointment, the patient's notification, the audit row). Every request the browser makes is
recorded, and a last test asserts none left the server's origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dashboard.domains.appointments.schedule import BOOKED
from dashboard.domains.appointments.slots import SLOT_TIMES
from dashboard.platform.formatting import LAGOS, lagos_date
from db.base import UserRole
from db.models import Appointment, AuditLog, Notification, Profile
from tests.browser.support import (
    TIMEOUT_MS,
    charts_drawn,
    choose,
    choose_starting,
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
from tests.fixtures.two_hospitals import ALPHA, Network, _add_user, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PATIENT_NAME = "Amaka Eze"  # the network's `patient`, named here
PATIENT_EMAIL = "patient@test.healthdash.ng"
OTHER_NAME, OTHER_EMAIL = "Ngozi Obi", "ngozi.obi@test.healthdash.ng"
PHYSICIAN_NAME = "Chidi Okafor"  # the network's `physician_a`, named here
PHYSICIAN_FIELD = "Internal Medicine"
PHYSICIAN_LABEL = f"Dr. {PHYSICIAN_NAME} — {PHYSICIAN_FIELD}"
ERROR = '[data-testid="stAlertContentError"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'
EXCEPTION = '[data-testid="stException"]'


@dataclass
class Clinic:
    network: Network
    physician: str  # physician_a's profile id (appointments.physician_id)
    patient: str  # the patient's user id


def _fill(engine: Engine) -> Clinic:
    """The network, with a name on the patient and on A's physician, committed."""
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        named = {}
        for label, (first, last, specialization) in {
            "patient": ("Amaka", "Eze", None),
            "physician_a": ("Chidi", "Okafor", PHYSICIAN_FIELD),
        }.items():
            named[label] = session.scalars(select(Profile).where(Profile.user_id == network.users[label])).one()
            named[label].first_name, named[label].last_name = first, last
            named[label].specialization = specialization
        # A second patient, for a second search in the same form.
        _add_user(session, OTHER_EMAIL, network.password_hash, UserRole.PATIENT, None)
        session.flush()
        physician = named["physician_a"].id
    return Clinic(network, physician, network.users["patient"])


@dataclass
class Server:
    base: str
    url: URL
    clinic: Clinic
    log: Path
    engine: Engine


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "appointments-server", _fill) as (base, url, clinic, log, engine):
        yield Server(base, url, clinic, log, engine)


@dataclass
class Tab:
    """A's hospital administrator, signed in once; every request leaving the server's origin is kept."""

    page: object
    server: Server
    outside: list[str] = field(default_factory=list)
    requests: int = 0

    def record(self, request) -> None:
        self.requests += 1
        url = request.url
        if url.startswith(("data:", "blob:")):
            return
        if urlsplit(url).netloc != urlsplit(self.server.base).netloc:
            self.outside.append(f"{request.resource_type} {url}")


@pytest.fixture(scope="module")
def tab(server):
    with chromium() as browser:
        ctx = new_context(browser)
        opened = Tab(None, server)
        ctx.on("request", opened.record)
        opened.page = ctx.new_page()
        sign_in(opened.page, server.base, server.clinic.network.emails["ha_a"])
        try:
            yield opened
        finally:
            ctx.close()


@pytest.fixture(autouse=True)
def _show_the_browser_on_failure(request, tab):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(what_the_browser_saw(tab.page.context, tab.server.log))


# --- the page ---------------------------------------------------------------------------------------


def tomorrow() -> date:
    return datetime.now(LAGOS).date() + timedelta(days=1)


def alert(page, kind: str, text: str):
    """The success or error box holding `text` (the toast that repeats a success is not one of them)."""
    return page.locator(kind).filter(has_text=text).first


def expander(page, title: str):
    box = page.locator('[data-testid="stExpander"]').filter(has_text=title)
    details = box.locator("details").first
    if details.get_attribute("open") is None:
        box.locator("summary").first.click()
    box.locator('[data-testid="stExpanderDetails"]').first.wait_for()
    settled(box)
    return box


def set_date(scope, label: str, day: date) -> None:
    """Type `day` into the date input labelled `label`: a field of day, month and year spinbuttons.

    Each keystroke makes a date of its own (typing 2026 passes through years 2, 20 and 202), so only
    the parts that differ are typed, year first. The field keeps its value in a hidden
    <input type="date"> (YYYY-MM-DD) and sends it once the pointer goes elsewhere; the caller waits for what
    the new date should show.
    """
    from playwright.sync_api import expect

    box = widget(scope, "stDateInput", label)
    settled(box)
    for part, value in (("year", day.year), ("month", day.month), ("day", day.day)):
        spin = box.get_by_role("spinbutton", name=f"{part}, {label}", exact=True)
        if spin.get_attribute("aria-valuenow") != str(value):
            spin.click()
            spin.press_sequentially(f"{value:04d}" if part == "year" else f"{value:02d}")
    # The field sends its date when focus leaves it for somewhere else: click its own label, as a person might.
    box.locator('[data-testid="stWidgetLabel"]').click()
    expect(box.locator('input[type="date"]')).to_have_value(day.isoformat(), timeout=TIMEOUT_MS)
    wait_until_idle(getattr(scope, "page", scope))


def no_exception(page) -> None:
    boxes = page.locator(EXCEPTION)
    assert boxes.count() == 0, boxes.first.inner_text()[:1500]


def fill_booking(page, slot_time: str, *, shown_as: str | None = None):
    """Open "Book an appointment" and fill it for the patient, the physician, tomorrow and `slot_time`."""
    book = expander(page, "Book an appointment")
    search = widget(book, "stTextInput", "Find the patient").locator("input")
    search.fill("Amaka")
    search.press("Enter")
    wait_until_idle(page)
    choose_starting(book, "Patient", f"{PATIENT_NAME} · ", typed="Amaka")
    choose(book, "Physician", PHYSICIAN_LABEL, typed="Chidi")
    wait_until_idle(page)
    set_date(book, "Date", tomorrow())
    choose(book, "Time", shown_as or slot_time, typed=slot_time)
    wait_until_idle(page)
    return book


# --- the database, read fresh after each write --------------------------------------------------------


def open_appointments(server: Server, day: date) -> list[Appointment]:
    """The physician's appointments that are not cancelled, on the Lagos day `day`."""
    start = datetime.combine(day, time.min, tzinfo=LAGOS)
    with Session(server.engine) as session:
        return list(
            session.scalars(
                select(Appointment).where(
                    Appointment.physician_id == server.clinic.physician,
                    Appointment.status != "cancelled",
                    Appointment.appointment_date >= start,
                    Appointment.appointment_date < start + timedelta(days=1),
                )
            )
        )


def notifications(server: Server) -> list[Notification]:
    with Session(server.engine) as session:
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == server.clinic.patient)
                .order_by(Notification.created_at)
            )
        )


def audit_rows(server: Server, action_type: str, resource_id: str) -> list[AuditLog]:
    with Session(server.engine) as session:
        return list(
            session.scalars(
                select(AuditLog).where(AuditLog.action_type == action_type, AuditLog.resource_id == resource_id)
            )
        )


# --- the tests --------------------------------------------------------------------------------------


def test_book_a_slot_tells_the_patient_and_fills_the_day_grid(server, tab):
    from playwright.sync_api import expect

    page, day = tab.page, tomorrow()
    open_page(page, server.base, "appointments", "Appointments")
    assert open_appointments(server, day) == []
    fill_booking(page, "10:30")
    page.get_by_role("button", name="Book", exact=True).click()
    said = alert(page, SUCCESS, f"Booked {PATIENT_NAME} with {PHYSICIAN_LABEL} at 10:30 on {lagos_date(day)}.")
    said.wait_for()
    wait_until_idle(page)
    assert "The patient has been told." in said.inner_text()
    no_exception(page)
    assert page.locator(ERROR).count() == 0

    [booked] = open_appointments(server, day)
    assert (booked.appointment_time, booked.status, booked.patient_id) == ("10:30", "pending", server.clinic.patient)
    assert booked.hospital_id == server.clinic.network.hospital_a
    assert booked.appointment_date == datetime.combine(day, time(10, 30), tzinfo=LAGOS)
    told = [n for n in notifications(server) if "10:30" in n.message]
    assert len(told) == 1, [n.message for n in notifications(server)]
    assert told[0].title == "Appointment booked" and lagos_date(day) in told[0].message
    assert len(audit_rows(server, "appointment_booked", booked.id)) == 1

    # The schedule's day: the grid for tomorrow is drawn, and its caption counts the booking.
    set_date(page, "Day", day)
    title = f"{lagos_date(day)}, Lagos time"
    page.wait_for_function(  # the chart of the new day, drawn
        """title => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle')]
                     .some(t => t.textContent.includes(title))""",
        arg=title,
    )
    charts_drawn(page)
    assert page.locator('[data-testid="stPlotlyChart"]').first.locator("svg.main-svg").count() > 0
    caption = page.get_by_text(re.compile(r"booked, [0-9]+ slots inside the physicians' hours at "))
    expect(caption).to_have_text(  # a physician with no hours set may be booked at every slot of the grid
        re.compile(rf"^1 booked, {len(SLOT_TIMES)} slots inside the physicians' hours at {ALPHA}\. Point at a slot"),
        timeout=TIMEOUT_MS,
    )
    # The heatmap's own data (not its pixels): one row, the physician's, filled at 10:30 only.
    heatmap = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
                   .map(plot => (plot.data || []).find(trace => trace.type === 'heatmap'))
                   .find(Boolean)"""
    )
    assert heatmap is not None, "no heatmap trace on the page"
    assert heatmap["y"] == [f"{PHYSICIAN_LABEL} \u00b7 no hours set"]  # the test's physician keeps no hours
    filled = dict(zip(heatmap["x"], heatmap["z"][0], strict=True))
    assert [t for t, v in filled.items() if v == BOOKED + 0.5] == ["10:30"]  # kit.state_grid: a state's band middle


def test_the_same_slot_again_is_refused_in_a_sentence(server, tab):
    page, day = tab.page, tomorrow()
    open_page(page, server.base, "appointments", "Appointments")
    fill_booking(page, "10:30", shown_as="10:30  (booked)")  # the page puts two spaces before "(booked)"
    page.get_by_role("button", name="Book", exact=True).click()
    refusal = alert(page, ERROR, "already has an appointment at 10:30")
    refusal.wait_for()
    wait_until_idle(page)
    assert refusal.inner_text().strip() == (
        f"Dr. {PHYSICIAN_NAME} already has an appointment at 10:30 on {lagos_date(day)}. Pick another time."
    )
    assert page.locator(SUCCESS).count() == 0
    no_exception(page)
    assert len(open_appointments(server, day)) == 1
    assert len([n for n in notifications(server) if "10:30" in n.message]) == 1


def test_reschedule_moves_the_booking_and_tells_the_patient(server, tab):
    page, day = tab.page, tomorrow()
    [booked] = open_appointments(server, day)
    before = len(notifications(server))
    # The list (and so "Change an appointment") covers the sidebar's date range, the last 30 days by
    # default: a link's range that reaches tomorrow brings the booking into it.
    start = datetime.now(LAGOS).date() - timedelta(days=29)
    open_page(page, server.base, f"appointments?from={start.isoformat()}&to={day.isoformat()}", "Appointments")
    change = expander(page, "Change an appointment")
    choose(change, "Appointment", f"{lagos_date(day)} 10:30 · {PATIENT_NAME} with {PHYSICIAN_NAME} · Pending",
           typed=lagos_date(day))  # fmt: skip
    wait_until_idle(page)
    change.get_by_role("tab", name="Reschedule").click()
    wait_until_idle(page)
    settled(change)
    set_date(change, "New date", day)
    choose(change, "Time", "11:00")  # the times inside the physician's hours (appointments_times_page)
    wait_until_idle(page)
    change.get_by_role("button", name="Reschedule", exact=True).click()
    said = alert(page, SUCCESS, f"{PATIENT_NAME}'s appointment moved to 11:00 on {lagos_date(day)}.")
    said.wait_for()
    wait_until_idle(page)
    assert "The patient has been told." in said.inner_text()
    assert page.locator(ERROR).count() == 0
    no_exception(page)

    [moved] = open_appointments(server, day)
    assert moved.id == booked.id
    assert (moved.appointment_time, moved.status) == ("11:00", "pending")
    assert moved.appointment_date == datetime.combine(day, time(11, 0), tzinfo=LAGOS)
    new = notifications(server)[before:]
    assert len(new) == 1 and new[0].title == "Appointment moved", [n.message for n in new]
    assert "11:00" in new[0].message and "from 10:30" in new[0].message
    [audited] = audit_rows(server, "appointment_rescheduled", booked.id)
    assert audited.user_id == server.clinic.network.users["ha_a"]
    assert audited.old_values["time"] == "10:30" and audited.new_values["time"] == "11:00"


def test_the_time_list_opens_on_the_first_click_after_typing_a_search(server, tab):
    """Typed a name without Enter, then clicked Time: leaving the search box reruns the page, and that
    rerun must not put anything above the Date and Time row (a box appearing there remade the row, list shut)."""
    page = tab.page
    open_page(page, server.base, "appointments", "Appointments")
    book = expander(page, "Book an appointment")
    widget(book, "stTextInput", "Find the patient").locator("input").fill("Amaka")
    offered = list_after_one_click(page, book, "Time", then_shown=PATIENT_NAME)
    assert SLOT_TIMES[-1] in offered, f"the Time list closed after one click; it offered {offered}"


def test_the_patient_list_opens_on_the_first_click_after_a_new_search(server, tab):
    """Searched, then typed another name without Enter and clicked Patient: the list stays open, offers the
    new search's patients, and the box keeps the patient picked until another one is picked."""
    page = tab.page
    open_page(page, server.base, "appointments", "Appointments")
    book = expander(page, "Book an appointment")
    search = widget(book, "stTextInput", "Find the patient").locator("input")
    search.fill("Amaka")
    search.press("Enter")
    option_shown(page, PATIENT_NAME)
    wait_until_idle(page)
    search.fill("Ngozi")
    offered = list_after_one_click(page, book, "Patient", then_shown=OTHER_NAME)
    other = next((o for o in offered if o.startswith(f"{OTHER_NAME} · ")), None)
    assert other is not None, f"the Patient list closed after one click; it offered {offered}"
    box = widget(book, "stSelectbox", "Patient").get_by_role("combobox", name="Patient", exact=True)
    assert box.input_value().startswith(f"{PATIENT_NAME} · "), "the new search changed the patient, unasked"
    choose(book, "Patient", other, typed="Ngozi")


def test_nothing_is_fetched_from_outside_the_server(tab):
    assert tab.requests > 20, "the recorder saw too few requests to say anything"
    assert not tab.outside, "requests left the server's origin:\n" + "\n".join(sorted(set(tab.outside)))
