"""Real browser on the hospital floor pages: Resources & beds, Admissions, Waitlist and the Overview.

One `healthdash run` for the module, on a throwaway database holding the two-hospital network of
tests/fixtures/two_hospitals.py plus floor data of its own (beds in both hospitals, a Radiology queue in A,
a named patient and physician). Each write made through the page is checked in the database with a
fresh Session. A tour opens every floor page as each staff role that may open it (one sign-in per
role) and records what the page showed, every request that left the server's origin, and axe-core's
colour-contrast findings (WCAG 2.1 AA); separate tests assert on each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dashboard.shell.navigation import PAGE_BY_KEY
from db.base import UserRole
from db.models import AuditLog, HospitalPatient, HospitalResource, PatientWaitlist, Profile
from db.rules import resource_status
from tests.browser.support import (
    charts_drawn,
    choose,
    choose_starting,
    chromium,
    fill_number,
    list_after_one_click,
    new_context,
    open_from_menu,
    open_page,
    option_shown,
    screenshot,
    served,
    settled,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
    widget,
)
from tests.fixtures.two_hospitals import Network, _add_user, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLOOR_PAGES = ("overview", "resources", "admissions", "waitlist")
ROLES = {  # network label -> role, in the order the tour signs them in
    "admin": UserRole.ADMIN,
    "ha_a": UserRole.HOSPITAL_ADMIN,
    "exec_a": UserRole.EXECUTIVE,
    "comp_a": UserRole.COMPLIANCE_OFFICER,
}
WARD = "General ward beds"
ICU = "ICU beds"
MATERNITY = "Maternity beds"
PATIENT_NAME = "Amaka Eze"  # the network's `patient`, named here
PHYSICIAN_NAME = "Chidi Okafor"  # the network's `physician_a`, named here
PHYSICIAN_FIELD = "Internal Medicine"
ERROR = '[data-testid="stAlertContentError"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'
EXCEPTION = '[data-testid="stException"]'
CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}


@dataclass
class Floor:
    network: Network
    resources: dict[str, str]  # "a_ward", "a_icu", "a_maternity", "b_icu" -> hospital_resources.id
    queue: dict[str, str]  # priority -> patient_waitlist.id (Radiology at A)
    physician_profile: str
    others: dict[str, str]  # priority -> user id of the other patients in the queue


def _fill(engine: Engine) -> Floor:
    """The network, then beds, a Radiology queue and names of our own, committed."""
    network = _build_network(engine)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        named = {}
        for label, (first, last, specialization) in {
            "patient": ("Amaka", "Eze", None),
            "physician_a": ("Chidi", "Okafor", PHYSICIAN_FIELD),
        }.items():
            named[label] = session.scalars(select(Profile).where(Profile.user_id == network.users[label])).one()
            named[label].first_name, named[label].last_name = first, last
            named[label].specialization = specialization
        specs = {  # label: (hospital, name, total, free, in use)
            "a_ward": (network.hospital_a, WARD, 10, 5, 5),
            "a_icu": (network.hospital_a, ICU, 4, 2, 2),
            "a_maternity": (network.hospital_a, MATERNITY, 6, 3, 3),
            "b_icu": (network.hospital_b, ICU, 6, 3, 3),
        }
        rows = {
            label: HospitalResource(hospital_id=hospital, name=name, category="beds", total_quantity=total,
                                    available_quantity=free, in_use_quantity=in_use,
                                    status=resource_status(total, free, 0), updated_at=now - timedelta(hours=1))
            for label, (hospital, name, total, free, in_use) in specs.items()
        }  # fmt: skip
        session.add_all(rows.values())
        # The oldest entry is the least urgent: call-next must take the urgent one, not the first to arrive.
        others = {
            "low": _add_user(session, "tunde.bakare@test.healthdash.ng", network.password_hash,
                             UserRole.PATIENT, None).id,
            "medium": _add_user(session, "ngozi.obi@test.healthdash.ng", network.password_hash,
                                UserRole.PATIENT, None).id,
        }  # fmt: skip
        waiting = {
            "low": (others["low"], timedelta(hours=3)),
            "medium": (others["medium"], timedelta(hours=1)),
            "urgent": (network.users["patient"], timedelta(minutes=10)),
        }
        entries = {
            priority: PatientWaitlist(hospital_id=network.hospital_a, patient_id=patient, department="Radiology",
                                      reason=f"{priority} scan", priority=priority, created_at=now - ago)
            for priority, (patient, ago) in waiting.items()
        }  # fmt: skip
        session.add_all(entries.values())
        session.flush()
        resources = {label: row.id for label, row in rows.items()}
        queue = {priority: entry.id for priority, entry in entries.items()}
        physician_profile = named["physician_a"].id
    return Floor(network, resources, queue, physician_profile, others)


@dataclass
class Server:
    base: str
    url: URL
    floor: Floor
    log: Path
    engine: Engine


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "floor-server", _fill) as (base, url, floor, log, engine):
        yield Server(base, url, floor, log, engine)


@dataclass
class Sessions:
    """One signed-in tab per account, opened on first use; every request leaving the origin is kept."""

    browser: object
    server: Server
    pages: dict[str, object] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)
    contrast: dict[str, Contrast] = field(default_factory=dict)  # what was checked -> what axe-core found
    requests: int = 0  # every request seen, to show the recorder was listening

    def page(self, label: str):
        if label not in self.pages:
            ctx = new_context(self.browser)
            ctx.on("request", self._record)
            page = ctx.new_page()
            self.pages[label] = page
            sign_in(page, self.server.base, self.server.floor.network.emails[label])
        return self.pages[label]

    def _record(self, request) -> None:
        self.requests += 1
        url = request.url
        if url.startswith(("data:", "blob:")):
            return
        if urlsplit(url).netloc != urlsplit(self.server.base).netloc:
            try:
                where = request.frame.url
            except Exception:  # noqa: BLE001 - a worker's request has no frame; the address is what matters
                where = "a worker"
            self.outside.append(f"{request.resource_type} {url} (from {where})")

    def check_contrast(self, page, what: str) -> None:
        self.contrast[what] = contrast_check(page)

    def diagnostics(self) -> str:
        return (
            "\n".join(what_the_browser_saw(p.context, None) for p in self.pages.values())
            + "\n"
            + (f"--- server log (last 3000 characters):\n{self.server.log.read_text()[-3000:]}")
        )


@pytest.fixture(scope="module")
def sessions(server):
    with chromium() as browser:
        opened = Sessions(browser, server)
        yield opened
        for page in opened.pages.values():
            page.context.close()


@pytest.fixture(autouse=True)
def _show_the_browser_on_failure(request, sessions):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(sessions.diagnostics())


@dataclass
class Contrast:
    checked: int  # elements whose text contrast axe-core could judge and found sufficient
    violations: list[str]  # one line per element below the WCAG 2.1 AA ratio
    undecided: list[str]  # elements axe-core could not judge (text over an image, a gradient...)


def _describe(node: dict) -> str:
    check = next((c for c in node.get("any", []) if isinstance(c.get("data"), dict)), {})
    data = check.get("data", {})
    if data.get("fgColor") is None:  # undecided: axe-core says why (text over an image, in an SVG...)
        return f"{node['target']}: {check.get('message') or data.get('messageKey')}; element {node['html'][:120]}"
    return (
        f"{node['target']}: foreground {data.get('fgColor')} on background {data.get('bgColor')}, "
        f"ratio {data.get('contrastRatio')} (needs {data.get('expectedContrastRatio')}), "
        f"font {data.get('fontSize')} {data.get('fontWeight')}; element {node['html'][:200]}"
    )


def contrast_check(page) -> Contrast:
    """axe-core's color-contrast rule on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=CONTRAST_ONLY).response
    return Contrast(
        checked=sum(len(rule["nodes"]) for rule in found["passes"]),
        violations=[_describe(node) for rule in found["violations"] for node in rule["nodes"]],
        undecided=[_describe(node) for rule in found["incomplete"] for node in rule["nodes"]],
    )


def alert(page, kind: str, text: str):
    """The success or error box holding `text` (the toast that repeats a success is not one of them)."""
    return page.locator(kind).filter(has_text=text).first


# --- the database, read fresh after each write -------------------------------------------------------


def counts(server: Server, label: str) -> tuple[int, int, int, int]:
    with Session(server.engine) as session:
        row = session.get(HospitalResource, server.floor.resources[label])
        return row.total_quantity, row.available_quantity, row.in_use_quantity, row.maintenance_quantity


def updated_at(server: Server, label: str) -> datetime:
    with Session(server.engine) as session:
        return session.get(HospitalResource, server.floor.resources[label]).updated_at


def audit_rows(server: Server, action_type: str, resource_id: str) -> list[AuditLog]:
    with Session(server.engine) as session:
        return list(
            session.scalars(
                select(AuditLog).where(AuditLog.action_type == action_type, AuditLog.resource_id == resource_id)
            )
        )


# --- writes ---------------------------------------------------------------------------------------


def test_edit_a_resource_count_refuses_a_wrong_sum_then_saves_and_confirms(server, sessions):
    ward = server.floor.resources["a_ward"]
    page = sessions.page("ha_a")
    open_page(page, server.base, "resources", "Resources & beds")
    choose(page, "Resource", WARD, typed="General")
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Save counts"))
    form.locator('[data-testid="stNumberInput"] input').first.wait_for()
    values = [widget(form, "stNumberInput", n).locator("input").input_value() for n in ("Total", "Free", "In use")]
    assert values == ["10", "5", "5"], "the form does not hold General ward beds' counts"

    fill_number(form, "Free", 4)
    fill_number(form, "In maintenance", 2)  # 4 + 5 + 2 = 11, not 10
    form.get_by_role("button", name="Save counts").click()
    refusal = alert(page, ERROR, "add up to 11")
    refusal.wait_for()
    assert "not the total of 10" in refusal.inner_text()
    sessions.check_contrast(page, "resources: the sum refused (error box)")
    assert counts(server, "a_ward") == (10, 5, 5, 0)
    assert audit_rows(server, "resource_updated", ward) == []

    fill_number(form, "Free", 3)  # 3 + 5 + 2 = 10
    form.get_by_role("button", name="Save counts").click()
    alert(page, SUCCESS, f"{WARD} updated: 3 free of 10.").wait_for()
    wait_until_idle(page)
    sessions.check_contrast(page, "resources: counts saved (success box)")
    assert page.locator(ERROR).count() == 0
    assert counts(server, "a_ward") == (10, 3, 5, 2)
    [updated] = audit_rows(server, "resource_updated", ward)
    assert updated.user_id == server.floor.network.users["ha_a"]

    before = updated_at(server, "a_ward")
    page.locator('[data-testid="stForm"]').get_by_role("button", name="Confirm count unchanged").click()
    alert(page, SUCCESS, f"{WARD}: count confirmed as unchanged just now.").wait_for()
    wait_until_idle(page)
    assert updated_at(server, "a_ward") > before
    assert counts(server, "a_ward") == (10, 3, 5, 2)
    assert len(audit_rows(server, "resource_count_confirmed", ward)) == 1


def test_call_next_takes_the_most_urgent_not_the_oldest(server, sessions):
    page = sessions.page("ha_a")
    open_page(page, server.base, "waitlist", "Waitlist")
    # Offered first: the department of the patient call-next takes (urgent, in Radiology), with its count.
    choose(page, "Department to call from", "Radiology (3 waiting) · next", typed="Radio")
    wait_until_idle(page)
    page.get_by_role("button", name="Call next patient").click()
    said = alert(page, SUCCESS, f"Called {PATIENT_NAME}")
    said.wait_for()
    wait_until_idle(page)
    assert "(Urgent," in said.inner_text() and "to Radiology" in said.inner_text()
    sessions.check_contrast(page, "waitlist: patient called (success box)")
    with Session(server.engine) as session:
        status = {p: session.get(PatientWaitlist, i) for p, i in server.floor.queue.items()}
        assert status["urgent"].status == "called" and status["urgent"].called_at is not None
        assert status["low"].status == "waiting" and status["medium"].status == "waiting"
    assert len(audit_rows(server, "waitlist_patient_called", server.floor.queue["urgent"])) == 1


def _only(page, locator):
    """The locator once it matches one element: mid-rerun, Streamlit can show a panel's old copy beside the new
    until the run ends, which on a machine running CI's two suites at once took over 10 s."""
    wait_until_idle(page)
    for _ in range(300):
        if locator.count() == 1:
            return locator.last  # `.last`, not the bare locator: a second copy can still appear after this check
        page.wait_for_timeout(100)
    # Seen intermittently after an admission: two live copies of the panel for 30 s and more (issue noted in
    # the closing note of 7 Dec 2026). The later copy is the one the run drew last.
    return locator.last


# Mid-rerun Streamlit keeps a panel's old copy (inside a container marked data-stale) beside the new.
LIVE_EXPANDER = 'xpath=//*[@data-testid="stExpander"][not(ancestor-or-self::*[@data-stale="true"])]'


def _expander(page, title: str):
    box = _only(page, page.locator(LIVE_EXPANDER).filter(has_text=title))
    details = box.locator("details").first
    if details.get_attribute("open") is None:
        box.locator("summary").first.click()
    box.locator('[data-testid="stExpanderDetails"]').first.wait_for()
    settled(box)
    return box


def _admit(page, name: str, email: str, ward: str, *, physician: str | None = None, room: str | None = None) -> None:
    """Admit a patient through the "Admit a patient" panel, found by the first word of their name."""
    admit = _expander(page, "Admit a patient")
    first = name.split()[0]
    search = widget(admit, "stTextInput", "Find the patient").locator("input")
    search.fill(first)
    search.press("Enter")
    choose_starting(admit, "Patient", f"{name} · ", typed=first)  # then the hospital number, phone or email
    choose(admit, "Ward", ward, typed=ward.split()[0])
    if physician is not None:
        choose(admit, "Physician", physician, typed=physician.split()[0])
    if room is not None:
        field = widget(admit, "stTextInput", "Room").locator("input")
        field.fill(room)
        field.press("Enter")
    wait_until_idle(page)
    admit.get_by_role("button", name="Admit", exact=True).click()
    alert(page, SUCCESS, f"{name} admitted to {ward.split(' (')[0]}.").wait_for()  # the success names the patient
    wait_until_idle(page)


def _press_discharge(page, name: str, ward: str):
    """Pick the patient in "Discharge or transfer" and press Discharge…; returns the confirm question."""
    change = _expander(page, "Discharge or transfer")
    choose(change, "Patient", f"{name} · {ward}", typed=name.split()[0])
    change.get_by_role("button", name="Discharge…").click()
    question = page.get_by_text(f"Discharge {name} now? Their bed in {ward} becomes free.")
    question.wait_for(state="attached")
    wait_until_idle(page)
    settled(_only(page, page.locator(LIVE_EXPANDER).filter(has_text="Discharge or transfer")))
    return question


def _confirm_discharge(page, name: str) -> None:
    page.get_by_role("button", name="Confirm", exact=True).click()
    alert(page, SUCCESS, f"{name} discharged.").wait_for()
    wait_until_idle(page)


def _admission_of(server: Server, patient: str) -> HospitalPatient:
    with Session(server.engine) as session:
        [row] = session.scalars(select(HospitalPatient).where(HospitalPatient.patient_id == patient)).all()
        return row


def test_admit_then_discharge_moves_one_bed_and_back(server, sessions):
    floor = server.floor
    page = sessions.page("ha_a")
    open_page(page, server.base, "admissions", "Admissions")
    _admit(page, PATIENT_NAME, "patient@test.healthdash.ng", f"{MATERNITY} (3 free)",
           physician=f"{PHYSICIAN_NAME} — {PHYSICIAN_FIELD}", room="M1-03")  # fmt: skip
    sessions.check_contrast(page, "admissions: patient admitted (success box)")
    row = _admission_of(server, floor.network.users["patient"])
    assert (row.hospital_id, row.status, row.bed_resource_id) == (
        floor.network.hospital_a, "admitted", floor.resources["a_maternity"]
    )  # fmt: skip
    assert (row.assigned_physician_id, row.room_number, row.discharge_date) == (floor.physician_profile, "M1-03", None)
    assert counts(server, "a_maternity") == (6, 2, 4, 0)

    # A fresh load: pressing Discharge… straight after an admission is the next test's subject.
    open_page(page, server.base, "admissions", "Admissions")
    question = _press_discharge(page, PATIENT_NAME, MATERNITY)
    assert question.is_visible()
    sessions.check_contrast(page, "admissions: discharge to confirm (warning box)")
    _confirm_discharge(page, PATIENT_NAME)
    row = _admission_of(server, floor.network.users["patient"])
    assert row.status == "discharged" and row.discharge_date is not None
    assert counts(server, "a_maternity") == (6, 3, 3, 0)


def test_the_discharge_question_stays_in_view_right_after_an_admission(server, sessions):
    """Admit, then at once press Discharge…: the question and its Confirm must be in view, not folded away."""
    floor = server.floor
    page = sessions.page("ha_a")
    open_page(page, server.base, "admissions", "Admissions")
    _admit(page, "Ngozi Obi", "ngozi.obi@test.healthdash.ng", f"{ICU} (2 free)")
    assert counts(server, "a_icu") == (4, 1, 3, 0)
    question = _press_discharge(page, "Ngozi Obi", ICU)
    in_view = question.is_visible()
    if not in_view:  # reopen the folded panel to finish the discharge, so later tests see the same beds
        _expander(page, "Discharge or transfer")
    _confirm_discharge(page, "Ngozi Obi")
    assert _admission_of(server, floor.others["medium"]).status == "discharged"
    assert counts(server, "a_icu") == (4, 2, 2, 0)
    assert in_view, (
        "Pressing Discharge… right after an admission folded the 'Discharge or transfer' panel shut: the "
        "question and its Confirm button were drawn inside the closed panel, so nothing seemed to happen."
    )


# --- a list opens on the first click, even as the search box is left ----------------------------------


def test_the_ward_list_opens_on_the_first_click_after_typing_a_search(server, sessions):
    """Typed a name without Enter, then clicked Ward: leaving the search box reruns the page, and that
    rerun must not put anything above the ward (a box appearing there remade the ward's row, list shut)."""
    page = sessions.page("ha_a")
    open_page(page, server.base, "admissions", "Admissions")
    admit = _expander(page, "Admit a patient")
    widget(admit, "stTextInput", "Find the patient").locator("input").fill("Amaka")
    offered = list_after_one_click(page, admit, "Ward", then_shown=PATIENT_NAME)
    assert any(o.startswith(MATERNITY) for o in offered), f"the Ward list closed after one click; it offered {offered}"


def test_the_patient_list_opens_on_the_first_click_after_a_new_search(server, sessions):
    """Searched, then typed another name without Enter and clicked Patient: the list stays open, offers the
    new search's patients, and the box keeps the patient picked until another one is picked."""
    page = sessions.page("ha_a")
    open_page(page, server.base, "admissions", "Admissions")
    admit = _expander(page, "Admit a patient")
    search = widget(admit, "stTextInput", "Find the patient").locator("input")
    search.fill("Amaka")
    search.press("Enter")
    option_shown(page, PATIENT_NAME)
    wait_until_idle(page)
    search.fill("Ngozi")
    offered = list_after_one_click(page, admit, "Patient", then_shown="Ngozi Obi")
    assert any(o.startswith("Ngozi Obi · ") for o in offered), (
        f"the Patient list closed after one click; it offered {offered}"
    )
    box = widget(admit, "stSelectbox", "Patient").get_by_role("combobox", name="Patient", exact=True)
    assert box.input_value().startswith(PATIENT_NAME), "the new search changed the patient picked, unasked"
    choose(admit, "Patient", next(o for o in offered if o.startswith("Ngozi Obi")), typed="Ngozi")


# --- every floor page as every role that may open it ---------------------------------------------------


@dataclass
class Visit:
    role: str
    title: str
    problems: list[str]
    screenshot: Path | None


def _look(page, role: str, key: str, shots: Path, sessions: Sessions) -> Visit:
    spec = PAGE_BY_KEY[key]
    problems: list[str] = []
    try:
        open_from_menu(page, spec.title)
    except Exception as exc:  # noqa: BLE001 - recorded as the visit's problem, with what the tab showed
        text = page.locator("body").inner_text()[:1500]
        return Visit(role, spec.title, [f"the page did not open ({type(exc).__name__}); it showed:\n{text}"], None)
    charts_drawn(page, at_least=0)  # a page may have no chart for this role
    main = page.locator('[data-testid="stMain"]')
    if page.locator(EXCEPTION).count():
        problems.append(f"exception box: {page.locator(EXCEPTION).first.inner_text()[:500]}")
    problems += [f"error alert: {e}" for e in page.locator(ERROR).all_inner_texts()]
    if "Something went wrong" in main.inner_text():
        problems.append("the page says 'Something went wrong'")
    widths = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return {scroll: main.scrollWidth, client: main.clientWidth, page: document.documentElement.scrollWidth,
                    viewport: window.innerWidth};
        }"""
    )
    if widths["scroll"] > widths["client"] + 1 or widths["page"] > widths["viewport"] + 1:
        problems.append(f"horizontal overflow at 1400 px: {widths}")
    sessions.check_contrast(page, f"{spec.title} as {role}")
    shot = shots / f"{key}-{role}.png"
    screenshot(page, shot)
    return Visit(role, spec.title, problems, shot)


@pytest.fixture(scope="module")
def tour(sessions, tmp_path_factory) -> list[Visit]:
    shots = tmp_path_factory.mktemp("floor-screenshots")
    visits = []
    for label, role in ROLES.items():
        page = sessions.page(label)
        for key in FLOOR_PAGES:
            if role in PAGE_BY_KEY[key].roles:
                visits.append(_look(page, label, key, shots, sessions))
    return visits


def test_every_floor_page_opens_cleanly_for_each_role_that_may_open_it(tour):
    seen = {(v.role, v.title) for v in tour}
    assert ("comp_a", "Resources & beds") in seen and ("exec_a", "Admissions") in seen
    assert ("comp_a", "Admissions") not in seen and ("exec_a", "Waitlist") not in seen  # not their pages
    assert len(seen) == 4 + 4 + 3 + 2
    problems = [f"{v.title} as {v.role}: {p}" for v in tour for p in v.problems]
    assert not problems, "\n".join(problems)
    for visit in tour:
        assert visit.screenshot is not None and visit.screenshot.stat().st_size > 10_000
    print(f"screenshots in {tour[0].screenshot.parent}")


def test_nothing_is_fetched_from_outside_the_server(tour, sessions):
    assert tour and sessions.requests > 20, "the recorder saw too few requests to say anything"
    assert not sessions.outside, "requests left the server's origin:\n" + "\n".join(sorted(set(sessions.outside)))


def test_text_contrast_meets_wcag_aa_on_every_page_visited(tour, sessions):
    looked_at = {f"{v.title} as {v.role}" for v in tour}
    assert looked_at <= set(sessions.contrast), "a page of the tour was not checked"
    for what, found in sessions.contrast.items():
        assert found.checked > 20, f"{what}: axe-core judged only {found.checked} elements"
        if found.undecided:
            print(f"{what}: axe-core could not judge {len(found.undecided)}:\n  " + "\n  ".join(found.undecided))
    failing = [f"{what}:\n  " + "\n  ".join(f.violations) for what, f in sessions.contrast.items() if f.violations]
    assert not failing, "axe-core color-contrast violations (WCAG 2.1 AA):\n" + "\n".join(failing)


def test_an_unknown_address_is_named_in_words(server, sessions):
    page = sessions.page("ha_a")
    page.goto(f"{server.base}/no-such-page")
    alert(page, ERROR, "There is no page at /no-such-page").wait_for()
    wait_until_idle(page)
    assert re.search(r"There is no page at /no-such-page\.", page.locator(ERROR).first.inner_text())


def test_a_forged_forwarded_for_address_is_not_written_to_the_audit_trail(sessions, server):
    """Only configured proxies are believed (HEALTHDASH_TRUSTED_PROXIES, none here): the forged address never lands."""
    forged = "203.0.113.66"
    context = sessions.browser.new_context(extra_http_headers={"X-Forwarded-For": forged})
    try:
        page = context.new_page()
        sign_in(page, server.base, server.floor.network.emails["comp_a"])
    finally:
        context.close()
    with Session(server.engine) as session:
        addresses = session.scalars(
            select(AuditLog.ip_address).where(
                AuditLog.user_id == server.floor.network.users["comp_a"], AuditLog.action_type == "login_succeeded"
            )
        ).all()
    assert addresses, "the sign-in was not audited"
    assert forged not in addresses
