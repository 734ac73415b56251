"""Real browser on Compliance's checklist: a hospital's compliance officer answers an item, attaches evidence, and
sees the score change with the bands' legend.

One `healthdash run` for the module (as the least-privilege app role), on the two-hospital network of
tests/fixtures/two_hospitals.py with one Fire safety assessment at Alpha whose checklist has every item met or not
applicable (score 100). The officer answers FIRE-C2 not met (the score falls to 78, partially compliant) and attaches
a PNG named ".pdf" to FIRE-C1; the database then holds the answer, the file stored as a PNG, and one audit row each.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard.platform.dates import LAGOS
from db.demo.checklists import tiny_png
from db.models import (
    AuditLog,
    ComplianceChecklistAnswer,
    ComplianceChecklistItem,
    ComplianceEvidence,
    HospitalComplianceTracking,
)
from tests.browser.support import (
    choose,
    chromium,
    new_context,
    open_from_menu,
    screenshot,
    served,
    sign_in,
    wait_until_idle,
)
from tests.fixtures.two_hospitals import _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")
SUCCESS = '[data-testid="stAlertContentSuccess"]'
ERROR = '[data-testid="stAlertContentError"]'
FIRE = "Fire safety"


def _fill(engine: Engine):
    network = _build_network(engine)
    now = datetime.now(LAGOS)
    with Session(engine) as session, session.begin():
        row = HospitalComplianceTracking(hospital_id=network.hospital_a, compliance_type=FIRE, score=100,
                                         status="compliant", last_assessment_date=now - timedelta(days=3),
                                         next_assessment_due=now + timedelta(days=360))  # fmt: skip
        session.add(row)
        session.flush()
        items = {i.code: i.id for i in session.scalars(select(ComplianceChecklistItem)
                                                       .where(ComplianceChecklistItem.compliance_type == FIRE))}
        answered = (("FIRE-C1", "met"), ("FIRE-C2", "met"), ("FIRE-C3", "met"), ("FIRE-C4", "met"),
                    ("FIRE-C5", "not_applicable"))  # fmt: skip
        for code, answer in answered:
            session.add(ComplianceChecklistAnswer(assessment_id=row.id, hospital_id=network.hospital_a,
                                                  item_id=items[code], answer=answer,
                                                  answered_by=network.users["comp_a"]))  # fmt: skip
        return network, row.id, items


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "checklists-server", _fill) as (base, _url, filled, log, engine):
        yield base, filled, log, engine


def test_an_officer_answers_an_item_attaches_evidence_and_sees_the_score_change(server):
    base, (network, assessment, items), log, engine = server
    with chromium() as browser:
        page = new_context(browser).new_page()
        try:
            sign_in(page, base, network.emails["comp_a"])
            open_from_menu(page, "Compliance")
            part = page.locator(".st-key-compliance_checklist")
            part.scroll_into_view_if_needed()
            # It opens on a type the hospital has been assessed on: Alpha's only one, Fire safety.
            part.get_by_text("Checklist score").wait_for()
            assert part.get_by_role("combobox", name="Checklist of", exact=True).input_value() == FIRE
            wait_until_idle(page)
            text = part.inner_text()
            assert "✓ 100 / 100" in text and "Compliant (85 or more)" in text, repr(text)
            assert "Compliant 85 or more · ◐ Partially compliant 60–84 · ✗ Non-compliant below 60" in text
            choose(part, "Item", "FIRE-C2 · Fire extinguishers within their service date (required)")
            part.get_by_text("FIRE-C2 is now met; weight 2, required.").wait_for()  # the item's fields are drawn
            wait_until_idle(page)
            part.get_by_role("radiogroup").get_by_text("Not met", exact=True).click()
            part.get_by_label("Note").fill("Two extinguishers past their service date.")
            part.get_by_role("button", name="Save the answer").click()
            page.locator(SUCCESS).filter(has_text="FIRE-C2 answered not met").first.wait_for()
            wait_until_idle(page)
            text = part.inner_text()
            assert "◐ 78 / 100" in text and "Partially compliant (60–84)" in text, text
            assert "required not met: FIRE-C2" in text
            choose(part, "For item", "FIRE-C1 · Emergency exits unobstructed and signed")
            part.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                {"name": "fire-exit.pdf", "mimeType": "application/pdf", "buffer": tiny_png()}
            )
            part.get_by_role("button", name="Attach the file").click()
            page.locator(SUCCESS).filter(has_text="attached to FIRE-C1").first.wait_for()
            wait_until_idle(page)
            offered = part.get_by_role("combobox", name="Evidence to download", exact=True).input_value()
            assert offered.startswith("FIRE-C1 · fire-exit.png ("), offered  # stored as what its content is
            assert page.locator(ERROR).count() == 0
            if SHOTS:
                screenshot(page, Path(SHOTS) / "compliance-checklist-officer.png")
                open_from_menu(page, "Overview")  # the same average score, in its band
                page.get_by_text("Average score").first.wait_for()
                screenshot(page, Path(SHOTS) / "overview-officer.png")
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-2000:])
            raise
        finally:
            page.context.close()
    with Session(engine) as session:
        assert session.get(HospitalComplianceTracking, assessment).score == 78
        answer = session.scalars(select(ComplianceChecklistAnswer).where(
            ComplianceChecklistAnswer.assessment_id == assessment,
            ComplianceChecklistAnswer.item_id == items["FIRE-C2"])).one()  # fmt: skip
        assert (answer.answer, answer.answered_by) == ("not_met", network.users["comp_a"])
        stored = session.execute(select(ComplianceEvidence.file_name, ComplianceEvidence.content_type)).all()
        assert stored == [("fire-exit.png", "image/png")]
        audited = session.scalars(select(AuditLog.action_type).where(
            AuditLog.action_type.in_(("compliance_checklist_answered", "compliance_evidence_added"))
        )).all()  # fmt: skip
        assert sorted(audited) == ["compliance_checklist_answered", "compliance_evidence_added"]
