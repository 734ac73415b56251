"""Real browser on Compliance and Verification, served as the least-privilege app role (row-level security on).

One `healthdash run` for the module on a throwaway database: the two-hospital network of
tests/fixtures/two_hospitals.py, a current fire-safety assessment of A with an overdue corrective action,
and a licence pending review. A compliance officer of A records an assessment with one violation
and one corrective action (typed into the data editors) and sees it in the history, then closes the
overdue action; the network admin approves the licence with a reason and the owner's notification
row is there. Screenshots go to /tmp/governance-screens.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.platform.dates import LAGOS
from db.engine import make_engine
from db.models import AuditLog, Document, HospitalComplianceTracking, Notification
from tests.browser.support import (
    charts_drawn,
    choose,
    chromium,
    new_context,
    open_page,
    running_server,
    screenshot,
    settled,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
)
from tests.fixtures.two_hospitals import Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HCT = HospitalComplianceTracking
SHOTS = Path(tempfile.gettempdir()) / "governance-screens"  # looked at by hand after a run
SUCCESS = '[data-testid="stAlertContentSuccess"]'
ERROR = '[data-testid="stAlertContentError"]'
EXCEPTION = '[data-testid="stException"]'
LICENCE = "MDCN licence - Chidi Okafor"


@dataclass
class Filled:
    network: Network
    current: str  # A's current fire-safety assessment
    licence: str  # the pending document


def _at(days_ago: int) -> datetime:
    return datetime.combine(datetime.now(LAGOS).date() - timedelta(days=days_ago), time(12), tzinfo=LAGOS)


def _fill(engine: Engine) -> Filled:
    network = _build_network(engine)
    today = datetime.now(LAGOS).date()
    with Session(engine) as session, session.begin():
        past = HCT(hospital_id=network.hospital_a, compliance_type="Fire safety", status="non_compliant", score=48,
                   last_assessment_date=_at(120), next_assessment_due=_at(30))  # fmt: skip
        current = HCT(
            hospital_id=network.hospital_a, compliance_type="Fire safety", status="partially_compliant", score=71,
            last_assessment_date=_at(30), next_assessment_due=_at(-60),
            violations=[{"description": "Emergency exit blocked", "severity": "critical", "owner": "Facility Manager",
                         "due_date": (today - timedelta(days=4)).isoformat(), "status": "open"}],
            corrective_actions=[{"description": "Clear the east exit", "severity": "high", "owner": "Facility Manager",
                                 "due_date": (today - timedelta(days=4)).isoformat(), "status": "in_progress"}],
        )  # fmt: skip
        licence = Document(user_id=network.users["physician_a"], document_name=LICENCE, document_type="medical_licence",
                           document_url="https://files.test.ng/licence.pdf", upload_date=_at(3))  # fmt: skip
        session.add_all([past, current, licence])
        session.flush()
        return Filled(network, current.id, licence.id)


@dataclass
class Server:
    base: str
    filled: Filled
    log: Path
    engine: Engine


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("governance-server") / "healthdash-run.log"
    with running_server(admin_url, log, _fill) as (base, url, filled):
        engine = make_engine(url)
        try:
            yield Server(base, filled, log, engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with chromium() as opened:
        yield opened


@pytest.fixture
def tab(browser, server, request):
    ctx = new_context(browser)
    page = ctx.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(what_the_browser_saw(ctx, server.log))
    ctx.close()


def _expander(page, title: str):
    box = page.locator('[data-testid="stExpander"]').filter(has_text=title).first
    if box.locator("details").first.get_attribute("open") is None:
        box.locator("summary").first.click()
    box.locator('[data-testid="stExpanderDetails"]').first.wait_for()
    settled(box)
    return box


# Where a cell's column lies across the editor at 1400 px, as a share of its width (Description is
# "large"; the others share the rest).
OWNER_AT = 0.69
DUE_AT = 0.83


def _type_new_row(page, editor, description: str, owner: str) -> None:
    """Add a row to a data editor and type its description and owner (severity and state keep their defaults).

    The grid is drawn on a canvas: the toolbar's "Add row" adds a row at the end; a double click on
    a cell opens its editor (an input in #portal), and Enter commits it.
    """
    before = editor.bounding_box()["height"]
    editor.hover()
    # The other editor's grid, still holding a selected cell, can lie over this toolbar for a moment:
    # the click goes to the button itself.
    editor.get_by_role("button", name="Add row").dispatch_event("click")
    for _ in range(40):  # the grid grows by the new row
        box = editor.bounding_box()
        if box["height"] > before:
            break
        page.wait_for_timeout(50)
    rows = round((box["height"] - 35) / 35) - 1  # less the header and the trailing "add" row
    y = box["y"] + 35 + 35 * (rows - 1) + 17
    for x, value in ((box["x"] + 60, description), (box["x"] + box["width"] * OWNER_AT, owner)):
        page.mouse.dblclick(x, y)
        field = page.locator("#portal textarea, #portal input").first
        field.wait_for()
        field.fill(value)
        field.press("Enter")
        field.wait_for(state="detached")


def _type_due_date(page, editor, when: date) -> None:
    """Type a date into the Due date cell of the editor's last row (the row _type_new_row added)."""
    settled(editor)
    field = page.locator('#portal input[data-testid="date-picker-cell"]')
    for _ in range(5):  # the form has just rerun with its refusal: the grid may still be redrawing
        box = editor.bounding_box()
        rows = round((box["height"] - 35) / 35) - 1
        page.mouse.dblclick(box["x"] + box["width"] * DUE_AT, box["y"] + 35 + 35 * (rows - 1) + 17)
        try:
            field.wait_for(state="attached", timeout=2_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    field.fill(when.isoformat())
    field.press("Enter")
    field.wait_for(state="detached")


def test_a_compliance_officer_records_an_assessment_and_sees_it_in_the_history(server, tab):
    page = tab
    sign_in(page, server.base, server.filled.network.emails["comp_a"])
    open_page(page, server.base, "compliance", "Compliance")
    charts_drawn(page)
    SHOTS.mkdir(exist_ok=True)
    screenshot(page, SHOTS / "compliance-officer.png")
    form = _expander(page, "Record an assessment")
    editors = form.locator('[data-testid="stDataFrame"]')
    violations, actions = editors.nth(0), editors.nth(1)
    settled(violations)
    # The open findings of the current fire-safety assessment would be carried; NHIA has none yet.
    _type_new_row(page, violations, "Drill log unsigned", "Safety lead")
    _type_new_row(page, actions, "Sign and file the drill log", "Safety lead")
    # The grid hands its edits to the form when it loses focus: leave it before saving.
    form.get_by_text("a row left empty is ignored").click()
    page.wait_for_timeout(300)
    form.get_by_role("button", name="Save assessment").click()
    # A violation without a due date is refused, the sentence naming its row; nothing is saved.
    page.locator(ERROR).filter(has_text="Violation 1 (“Drill log unsigned”) has no due date").first.wait_for()
    wait_until_idle(page)
    with Session(server.engine) as session:
        assert session.scalars(select(HCT).where(HCT.compliance_type == "NHIA accreditation")).all() == []
    _type_due_date(page, violations, datetime.now(LAGOS).date() + timedelta(days=30))
    # An open corrective action needs its due date too (issue 24: every open finding has an owner and a due date).
    _type_due_date(page, actions, datetime.now(LAGOS).date() + timedelta(days=45))
    form.get_by_text("a row left empty is ignored").click()
    page.wait_for_timeout(300)
    form.get_by_role("button", name="Save assessment").click()
    page.locator(SUCCESS).filter(has_text="assessment saved").first.wait_for()
    wait_until_idle(page)
    assert page.locator(EXCEPTION).count() == 0 and page.locator(ERROR).count() == 0
    with Session(server.engine) as session:
        saved = session.scalars(
            select(HCT).where(HCT.hospital_id == server.filled.network.hospital_a,
                              HCT.compliance_type == "NHIA accreditation")
        ).one()  # fmt: skip
        assert [(v["description"], v["owner"], v["status"]) for v in saved.violations] == [
            ("Drill log unsigned", "Safety lead", "open")
        ]
        assert saved.violations[0]["due_date"] == (datetime.now(LAGOS).date() + timedelta(days=30)).isoformat()
        assert (saved.score, saved.status) == (80, "partially_compliant")  # the form's 80 sets the status
        assert [a["description"] for a in saved.corrective_actions] == ["Sign and file the drill log"]
        assert session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == saved.id)).all() == [
            "compliance_assessment_recorded"
        ]
    # The history of that type now holds it, with its violation and action.
    open_page(page, server.base, "compliance", "Compliance")  # afresh: the success box above has gone
    choose(page, "Show the history of", "NHIA accreditation", typed="NHIA")
    wait_until_idle(page)
    current = page.locator('[data-testid="stExpander"]').filter(has_text="(current)").first
    current.wait_for()
    current.scroll_into_view_if_needed()  # the grid draws its cells only when it is on screen
    # The entries are a data grid drawn on a canvas; its cells reach the page's text (an accessible
    # table) a moment after it is drawn, so wait for them rather than read once.
    page.locator('[data-testid="stDataFrame"]').filter(has_text="Drill log unsigned").first.wait_for(
        state="attached", timeout=20_000
    )
    screenshot(page, SHOTS / "compliance-history.png")


def test_closing_the_overdue_action_records_who_and_when(server, tab):
    page = tab
    sign_in(page, server.base, server.filled.network.emails["comp_a"])
    open_page(page, server.base, "compliance", "Compliance")
    page.get_by_role("button", name="Close this finding…").click()
    page.get_by_text("It is recorded as closed by you, now.").wait_for()
    wait_until_idle(page)
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.locator(SUCCESS).filter(has_text="Closed: Clear the east exit").first.wait_for()
    wait_until_idle(page)
    with Session(server.engine) as session:
        action = session.get(HCT, server.filled.current).corrective_actions[0]
        assert action["status"] == "closed" and action["closed_by"] == server.filled.network.users["comp_a"]
        assert action["closed_at"]


def test_the_network_admin_approves_a_document_and_the_owner_is_notified(server, tab):
    page = tab
    sign_in(page, server.base, server.filled.network.emails["admin"])
    open_page(page, server.base, "verification", "Verification")
    charts_drawn(page)
    screenshot(page, SHOTS / "verification.png")
    # The document panel comes last (no hospital waits in this network, so it is the only one).
    reason = page.get_by_label("Reason (the owner reads it)").last
    reason.fill("Checked against the MDCN register.")
    reason.press("Tab")
    wait_until_idle(page)
    page.get_by_role("button", name="Approve…").last.click()
    page.get_by_text(f"Approve “{LICENCE}”?").wait_for()
    wait_until_idle(page)
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.locator(SUCCESS).filter(has_text="verified; the owner is notified").first.wait_for()
    wait_until_idle(page)
    with Session(server.engine) as session:
        document = session.get(Document, server.filled.licence)
        admin = server.filled.network.users["admin"]
        assert (document.verification_status, document.verified_by) == ("verified", admin)
        [note] = session.scalars(
            select(Notification).where(Notification.user_id == server.filled.network.users["physician_a"])
        ).all()
        assert note.title == "Document verified" and "Checked against the MDCN register." in note.message
