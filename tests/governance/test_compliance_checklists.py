"""Compliance checklists with evidence (domains/governance/compliance_checklists.py, compliance_checklist_commands.py)
under row-level security.

A database of its own with its own two roles (as tests/governance/test_licences.py): the owner fills it, and every
service call runs as the least-privilege app role under its actor's scope, one transaction each, as data.call does.
Hospitals Alpha and Beta, each with a current Fire safety assessment and an earlier one.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.governance import compliance_checklist_commands as commands
from dashboard.domains.governance import compliance_checklists as checklists
from dashboard.domains.governance import compliance_scores, hospitals
from dashboard.domains.governance.compliance import KNOWN_TYPES
from dashboard.platform import figures
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted
from db.base import UserRole
from db.demo import checklists as demo_checklists
from db.demo.licences import tiny_pdf
from db.models import (
    AuditLog,
    ComplianceChecklistAnswer,
    ComplianceChecklistItem,
    ComplianceEvidence,
    Hospital,
    HospitalComplianceTracking,
)
from db.models.checklists import MAX_EVIDENCE_BYTES
from db.row_scope import apply_scope
from tests.fixtures.secured import SecuredDatabase, call, owner_all, who

FIRE = "Fire safety"
PNG = demo_checklists.tiny_png()
PDF = tiny_pdf("Fire Service certificate", "Alpha Hospital")


@pytest.fixture(scope="module")
def world(admin_url):
    db = SecuredDatabase.create(admin_url, prefix="healthdash_checklists")
    owner = db.owner
    ids = {}
    with Session(owner) as session, session.begin():
        for label in ("alpha", "beta"):
            hospital = Hospital(name=f"{label.title()} Hospital", state="Lagos", verification_status="verified")
            session.add(hospital)
            session.flush()
            ids[label] = hospital.id
            for key, day, score in (("old", 1, 70), ("current", 2, 90)):
                row = HospitalComplianceTracking(
                    hospital_id=hospital.id, compliance_type=FIRE, score=score,
                    status="compliant" if score >= 85 else "partially_compliant",
                    last_assessment_date=datetime(2026, 11, day, 10, tzinfo=UTC),
                )  # fmt: skip
                session.add(row)
                session.flush()
                ids[f"{label}_{key}"] = row.id
    yield {"app": db.app, "owner": owner, **ids}
    db.drop()


def items(world) -> dict[str, str]:
    """Fire safety's item ids by code."""
    rows = owner_all(world, select(ComplianceChecklistItem.code, ComplianceChecklistItem.id)
                     .where(ComplianceChecklistItem.compliance_type == FIRE))  # fmt: skip
    return dict(rows)


def test_every_known_type_has_a_standard_checklist_with_a_required_item(world):
    rows = owner_all(world, select(ComplianceChecklistItem.compliance_type, func.count(),
                                   func.count().filter(ComplianceChecklistItem.required))
                     .group_by(ComplianceChecklistItem.compliance_type))  # fmt: skip
    assert {kind for kind, total, required in rows if total >= 5 and required >= 1} == set(KNOWN_TYPES)


def test_the_score_is_the_weighted_share_met_and_a_required_item_not_met_caps_it():
    assert checklists.score_of([(3, True, "met"), (1, False, "met")]).score == 100
    assert checklists.score_of([(3, True, "met"), (1, False, "not_met")]).score == 75  # 3 of 4
    assert checklists.score_of([(3, True, "met"), (1, False, None)]).score == 75  # unanswered counts as not met
    assert checklists.score_of([(3, True, "met"), (1, False, "not_applicable")]).score == 100  # left out
    assert checklists.score_of([(1, False, "met"), (2, False, "met"), (1, False, "not_met"), (4, False, "met")]).score \
        == 88  # 7 of 8 = 87.5, half up
    capped = checklists.score_of([(1, True, "not_met"), (9, False, "met"), (10, False, "met")])
    assert (capped.uncapped, capped.score, capped.capped) == (95, 84, True)  # never compliant (85 or more)
    unanswered_required = checklists.score_of([(1, True, None), (30, False, "met")])
    assert (unanswered_required.uncapped, unanswered_required.score) == (97, 84)
    assert checklists.score_of([(2, False, "not_applicable")]).score is None
    low = checklists.score_of([(3, True, "not_met"), (1, False, "met")])
    assert (low.score, low.capped) == (25, False)  # already below the cap
    assert "84 by default" in figures.figure("checklist_score").definition


def test_the_demo_scores_its_checklists_by_the_services_rule():
    draw = random.Random(24)
    for _ in range(500):
        rows = [(draw.randint(1, 5), draw.random() < 0.4, draw.choice(["met", "not_met", "not_applicable"]))
                for _ in range(draw.randint(1, 7))]  # fmt: skip
        assert demo_checklists.score(rows) == checklists.score_of(rows).score


def test_answering_items_scores_the_assessment_everywhere_with_one_audit_row_each(world):
    officer = who(UserRole.COMPLIANCE_OFFICER, world["alpha"])
    codes = items(world)
    assessment = world["alpha_current"]
    for code in ("FIRE-C1", "FIRE-C2", "FIRE-C3", "FIRE-C4"):
        call(world, commands.answer_item, officer, assessment, item_id=codes[code], answer="met")
    done = call(world, commands.answer_item, officer, assessment, item_id=codes["FIRE-C5"], answer="not_applicable")
    assert (done.score, done.status) == (100, "compliant")  # FIRE-C5 left out
    with pytest.raises(InvalidInput, match="FIRE-C2 is a required item: say in the note what is missing"):
        call(world, commands.answer_item, officer, assessment, item_id=codes["FIRE-C2"], answer="not_met")
    failed = call(world, commands.answer_item, officer, assessment, item_id=codes["FIRE-C2"], answer="not_met",
                  note="Two extinguishers past their service date.")  # fmt: skip
    assert (failed.result.uncapped, failed.score, failed.status) == (78, 78, "partially_compliant")  # 7 of 9
    sheet = call(world, checklists.checklist, officer, assessment)
    assert [r.answer for r in sheet.rows] == ["met", "not_met", "met", "met", "not_applicable"]
    assert (sheet.stored_score, sheet.result.score, sheet.result.required_failing) == (78, 78, ("FIRE-C2",))
    # The cards and the heat map read the same stored score.
    cells = call(world, compliance_scores.score_grid, officer)
    assert [(c.compliance_type, c.score) for c in cells] == [(FIRE, 78)]
    assert call(world, compliance_scores.summary, officer).average_score == 78  # the Compliance and Overview card
    listed = call(world, hospitals.list_hospitals, officer)  # the Hospitals page's Compliance column
    assert [(r.name, r.compliance_score) for r in listed.rows] == [("Alpha Hospital", 78)]
    trail = owner_all(world, select(AuditLog.action_type, AuditLog.old_values, AuditLog.new_values)
                      .where(AuditLog.resource_id == assessment,
                             AuditLog.action_type == "compliance_checklist_answered")
                      .order_by(AuditLog.created_at))  # fmt: skip
    assert len(trail) == 6  # one row a write; the refused one wrote none
    assert (trail[-1].old_values["answer"], trail[-1].new_values["answer"]) == ("met", "not_met")
    assert (trail[-1].old_values["score"], trail[-1].new_values["score"]) == (100, 78)


def test_only_the_current_assessment_of_a_type_is_answered_and_only_with_its_own_items(world):
    officer = who(UserRole.COMPLIANCE_OFFICER, None)
    codes = items(world)
    with pytest.raises(InvalidInput, match="A newer Fire safety assessment has replaced this one"):
        call(world, commands.answer_item, officer, world["beta_old"], item_id=codes["FIRE-C1"], answer="met")
    other = owner_all(world, select(ComplianceChecklistItem.id).where(ComplianceChecklistItem.code == "NHIA-C1"))[0][0]
    with pytest.raises(InvalidInput, match="Pick an item of the Fire safety checklist"):
        call(world, commands.answer_item, officer, world["beta_current"], item_id=other, answer="met")
    with pytest.raises(InvalidInput, match="as met, not met or not applicable"):
        call(world, commands.answer_item, officer, world["beta_current"], item_id=codes["FIRE-C1"], answer="yes")
    with pytest.raises(NotPermitted):
        call(world, commands.answer_item, who(UserRole.EXECUTIVE, None), world["beta_current"],
             item_id=codes["FIRE-C1"], answer="met")  # fmt: skip
    assert owner_all(world, select(func.count()).select_from(ComplianceChecklistAnswer)
                     .where(ComplianceChecklistAnswer.hospital_id == world["beta"])) == [(0,)]  # fmt: skip


def test_evidence_is_typed_by_its_content_size_limited_and_audited(world):
    officer = who(UserRole.ADMIN, None)
    codes = items(world)
    assessment = world["beta_current"]
    as_png = call(world, commands.add_evidence, officer, assessment, item_id=codes["FIRE-C1"], content=PNG,
                  file_name="fire-exit.pdf")  # fmt: skip
    assert (as_png.file_name, as_png.content_type) == ("fire-exit.png", "image/png")  # a .pdf name, PNG bytes
    pdf = call(world, commands.add_evidence, officer, assessment, item_id=codes["FIRE-C5"], content=PDF,
               file_name="certificate.pdf")  # fmt: skip
    assert pdf.content_type == "application/pdf"
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
    with pytest.raises(InvalidInput, match=r"“setup.exe” cannot be kept: its content is application/x-msdownload\. "
                                           r"Attach the evidence as a PDF, PNG or JPEG file\."):  # fmt: skip
        call(world, commands.add_evidence, officer, assessment, item_id=codes["FIRE-C1"], content=exe,
             file_name="setup.exe")  # fmt: skip
    big = PDF + b"\x00" * MAX_EVIDENCE_BYTES
    with pytest.raises(InvalidInput, match=r"is 5\.0 MB; an evidence file can be at most 5\.0 MB"):
        call(world, commands.add_evidence, officer, assessment, item_id=codes["FIRE-C1"], content=big,
             file_name="scan.pdf")  # fmt: skip
    stored = owner_all(world, select(ComplianceEvidence.file_name, ComplianceEvidence.content_type,
                                     ComplianceEvidence.size_bytes)
                       .where(ComplianceEvidence.assessment_id == assessment).order_by(ComplianceEvidence.file_name))
    assert stored == [("certificate.pdf", "application/pdf", len(PDF)), ("fire-exit.png", "image/png", len(PNG))]
    sheet = call(world, checklists.checklist, officer, assessment)
    assert [f.file_name for f in sheet.rows[0].evidence] == ["fire-exit.png"]
    got = call(world, checklists.evidence_file, officer, as_png.id)
    assert (got.content, got.content_type) == (PNG, "image/png")
    trail = owner_all(world, select(AuditLog.action_type).where(AuditLog.resource_type == "compliance_evidence")
                      .order_by(AuditLog.created_at))  # fmt: skip
    assert [t for (t,) in trail] == ["compliance_evidence_added", "compliance_evidence_added",
                                     "compliance_evidence_read"]  # fmt: skip


def test_another_hospitals_checklist_and_evidence_are_refused(world):
    codes = items(world)
    beta_file = owner_all(world, select(ComplianceEvidence.id).where(ComplianceEvidence.hospital_id == world["beta"]))
    assert beta_file, "the evidence test attached Beta's files"
    alpha = who(UserRole.COMPLIANCE_OFFICER, world["alpha"])
    with pytest.raises(NotFound, match="not in your scope"):  # row-level security hides Beta's file
        call(world, checklists.evidence_file, alpha, beta_file[0][0])
    with pytest.raises(NotFound):
        call(world, checklists.checklist, alpha, world["beta_current"])
    with pytest.raises(NotFound):
        call(world, commands.add_evidence, alpha, world["beta_current"], item_id=codes["FIRE-C1"], content=PNG,
             file_name="x.png")  # fmt: skip
    assert call(world, checklists.current_assessment_id, alpha, hospital_id=world["alpha"], compliance_type=FIRE) \
        == world["alpha_current"]
    with Session(world["app"]) as session, session.begin():
        apply_scope(session, world["alpha"])
        assert set(session.scalars(select(ComplianceEvidence.hospital_id))) <= {world["alpha"]}
        with pytest.raises(Exception, match="row-level security"), session.begin_nested():
            session.execute(text("INSERT INTO compliance_checklist_answers (id, assessment_id, hospital_id, item_id, "
                                 "answer) VALUES ('x', :a, :b, :i, 'met')"),
                            {"a": world["beta_current"], "b": world["beta"], "i": codes["FIRE-C1"]})  # fmt: skip
