"""The compliance service: scope, field-by-field validation, history kept, open items tracked to closure.

Each test builds two hospitals inside its rolled-back transaction: A with a history of fire-safety
assessments (the current one with an open violation and an overdue corrective action), B with one
assessment of its own, so every scoped read has something of B to leak and every command something
of B to refuse.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.domains.governance import compliance
from dashboard.domains.governance import compliance_assessments as assessments
from dashboard.domains.governance import compliance_commands as commands
from dashboard.domains.governance import compliance_findings as findings
from dashboard.domains.governance import compliance_scores as scores
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AuditLog, HospitalComplianceTracking
from tests.fixtures.queue_builders import actor, add_hospital

HCT = HospitalComplianceTracking
FIRE = "Fire safety"
WASTE = "Medical waste management"
NASTY = '<img src=x onerror=alert(1)> **bold** [link](javascript:alert(1))'


def _at(days_ago: int) -> datetime:
    return datetime.combine(datetime.now(LAGOS).date() - timedelta(days=days_ago), time(12), tzinfo=LAGOS)


def _add(db, hospital_id, kind, *, days_ago, score, status="compliant", due_in=90, violations=None, actions=None,
         details=None) -> str:  # fmt: skip
    row = HCT(
        hospital_id=hospital_id, compliance_type=kind, status=status, score=score,
        last_assessment_date=_at(days_ago), next_assessment_due=_at(days_ago - due_in),
        violations=[] if violations is None else violations, corrective_actions=[] if actions is None else actions,
        assessment_details={"method": "on-site inspection"} if details is None else details,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row.id


@pytest.fixture
def two(db_session):
    db = db_session
    a = add_hospital(db, "Compliance Alpha Hospital")
    b = add_hospital(db, "Compliance Beta Hospital")
    today = datetime.now(LAGOS).date()
    ids = {
        "a_old": _add(db, a, FIRE, days_ago=200, score=55, status="non_compliant"),
        "a_mid": _add(db, a, FIRE, days_ago=110, score=70, status="partially_compliant"),
        "a_now": _add(
            db, a, FIRE, days_ago=20, score=80, status="partially_compliant", due_in=10,  # overdue by 10 days
            violations=[
                {"code": "FIRE-04", "description": "Emergency exit blocked", "severity": "critical",
                 "owner": "Facility", "due_date": (today + timedelta(days=5)).isoformat(), "status": "open"},
                {"description": "Old extinguishers", "severity": "low", "status": "done"},
            ],
            actions=[
                {"violation_code": "FIRE-04", "action": "Clear the east exit", "owner": "Facility Manager",
                 "due_date": (today - timedelta(days=3)).isoformat(), "status": "in_progress"},
            ],
        ),  # fmt: skip
        "a_waste": _add(db, a, WASTE, days_ago=5, score=95, due_in=20),  # due in 15 days
        "b_now": _add(db, b, FIRE, days_ago=30, score=40, status="non_compliant",
                      violations=[{"description": "Beta's own finding", "status": "open"}]),  # fmt: skip
    }
    return {
        "a": a,
        "b": b,
        "ids": ids,
        "comp_a": actor(UserRole.COMPLIANCE_OFFICER, a, "comp-a"),
        "ha_a": actor(UserRole.HOSPITAL_ADMIN, a, "ha-a"),
        "exec_a": actor(UserRole.EXECUTIVE, a, "exec-a"),
        "admin": actor(UserRole.ADMIN, None, "admin"),
    }


def _valid(two, **changes):
    today = datetime.now(LAGOS).date()
    values = dict(
        hospital_id=two["a"], compliance_type=FIRE, status="compliant", score=91, assessed_on=today,
        next_due=today + timedelta(days=180), details="Exits clear; drill held.",
        violations=[{"description": "Drill log unsigned", "severity": "low", "owner": "Safety lead",
                     "due_date": today + timedelta(days=14), "status": "open"}],
        corrective_actions=[{"description": "Sign the drill log", "severity": "low", "owner": "Safety lead",
                             "due_date": (today + timedelta(days=7)).isoformat(), "status": "open"}],
    )  # fmt: skip
    return values | changes


def _own_audit(db, who, action_type):
    found = select(AuditLog).where(AuditLog.user_id == who.user_id, AuditLog.action_type == action_type)
    return db.scalars(found).all()


# --- Reads -------------------------------------------------------------------------------------------------


def test_summary_counts_current_assessments_of_the_scope_only(db_session, two):
    figures = scores.summary(db_session, two["exec_a"])
    assert figures.assessments == 2  # A's current fire and waste assessments; history and B left out
    assert figures.average_score == pytest.approx((80 + 95) / 2)
    assert figures.by_status["partially_compliant"] == 1 and figures.by_status["compliant"] == 1
    assert figures.by_status["non_compliant"] == 0  # A's old non-compliant one is history
    assert (figures.overdue, figures.due_soon) == (1, 1)
    assert (figures.open_violations, figures.open_actions, figures.overdue_items) == (1, 1, 1)
    network = scores.summary(db_session, two["admin"])
    assert network.assessments >= 3 and network.by_status["non_compliant"] >= 1


def test_open_items_put_overdue_actions_first_with_owner_due_date_and_age(db_session, two):
    page = findings.list_open_items(db_session, two["comp_a"])
    assert [(i.kind, i.description) for i in page.rows] == [
        ("action", "Clear the east exit"),  # overdue: at the top
        ("violation", "Emergency exit blocked"),
    ]
    action = page.rows[0]
    assert action.overdue and action.owner == "Facility Manager" and action.status == "in_progress"
    assert action.age_days == pytest.approx(20, abs=1) and action.hospital_name == "Compliance Alpha Hospital"
    assert page.total == 2  # the closed ("done") violation is not open; B's finding is out of scope
    network = findings.list_open_items(db_session, two["admin"], search="Beta's own")
    assert [i.description for i in network.rows] == ["Beta's own finding"]


def test_score_grid_and_trend_read_current_scores_and_every_assessment(db_session, two):
    cells = scores.score_grid(db_session, two["ha_a"])
    assert {(c.compliance_type, c.score) for c in cells} == {(FIRE, 80), (WASTE, 95)}
    today = datetime.now(LAGOS).date()
    trend = scores.score_trend(db_session, two["ha_a"], start=today - timedelta(days=365), end=today)
    fire = [p for p in trend if p.compliance_type == FIRE]
    assert [round(p.average_score) for p in fire] == [55, 70, 80]  # three months, three points: it moves
    due = assessments.list_due(db_session, two["ha_a"])
    assert [(d.compliance_type, d.days_overdue > 0) for d in due.rows] == [(FIRE, True), (WASTE, False)]


def test_history_keeps_every_assessment_of_a_type_newest_first(db_session, two):
    commands.record_assessment(db_session, two["comp_a"], **_valid(two))
    rows = assessments.history(db_session, two["comp_a"], hospital_id=two["a"], compliance_type=FIRE)
    assert [r.score for r in rows] == [91, 80, 70, 55]
    newest = rows[0]
    assert [v.description for v in newest.violations] == ["Drill log unsigned"]
    assert [a.description for a in newest.actions] == ["Sign the drill log"]
    assert newest.details["summary"] == "Exits clear; drill held." and newest.details["method"] == "on-site inspection"
    # The previous assessment is unchanged: its legacy "action" key still reads as the description.
    assert rows[1].actions[0].description == "Clear the east exit" and rows[1].actions[0].status == "in_progress"


def test_another_hospitals_history_is_refused(db_session, two):
    with pytest.raises(OutOfScope):
        assessments.history(db_session, two["comp_a"], hospital_id=two["b"], compliance_type=FIRE)


def test_values_of_an_unexpected_shape_are_shown_as_they_are(db_session, two):
    odd = _add(db_session, two["a"], "Radiation safety", days_ago=2, score=60, violations={"not": "a list"},
               actions=["call the regulator", 42, {"owner": "nobody"}], details=["free", "text"])  # fmt: skip
    [row] = assessments.history(db_session, two["ha_a"], hospital_id=two["a"], compliance_type="Radiation safety")
    assert row.violations == [] and row.violations_raw == '{"not": "a list"}'
    assert [a.raw for a in row.actions] == ['"call the regulator"', "42", '{"owner": "nobody"}']
    assert row.details == {} and row.details_raw == '["free", "text"]'
    items = findings.list_open_items(db_session, two["ha_a"], search="regulator")
    assert [(i.description, i.well_formed) for i in items.rows] == [('"call the regulator"', False)]
    with pytest.raises(InvalidInput, match="not in the expected shape"):
        commands.close_item(db_session, two["comp_a"], odd, kind="action", position=0,
                              description='"call the regulator"')  # fmt: skip


# --- Recording an assessment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"score": 101}, "101 is outside that range"),
        ({"score": -1}, "-1 is outside that range"),
        ({"score": "ninety"}, '"ninety" is not one'),
        ({"score": True}, "must be a whole number"),
        ({"status": "fine"}, "The status must be"),
        ({"compliance_type": "  "}, "Pick the compliance type"),
        ({"next_due": date(2020, 1, 1)}, "not after the assessment"),
        ({"next_due": "soon"}, "The next due date must be a date"),
        ({"assessed_on": date.today() + timedelta(days=3)}, "is in the future"),
        ({"violations": [{"description": "  ", "owner": "Someone"}]}, "Violation 1 has no description"),
        ({"corrective_actions": [{"description": "ok", "owner": "A", "due_date": "2030-01-31"}, {"severity": "low"}]},
         "Corrective action 2 has no descr"),
        ({"violations": [{"description": "x", "severity": "apocalyptic"}]}, "severity must be low, medium"),
        ({"violations": [{"description": "x", "status": "maybe"}]}, "state must be open, in progress or closed"),
        ({"violations": [{"description": "x", "due_date": "31/02/2026"}]}, "due date must be a date"),
        ({"violations": "a string"}, "must be a list of entries"),
        ({"details": "x" * 5000}, "at most 4,000 characters"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(db_session, two, changes, sentence):
    before = db_session.scalar(select(func.count()).select_from(HCT))
    with pytest.raises(InvalidInput, match=sentence) as refused:
        commands.record_assessment(db_session, two["comp_a"], **_valid(two, **changes))
    assert str(refused.value).endswith(".") and "\n" not in str(refused.value)
    assert db_session.scalar(select(func.count()).select_from(HCT)) == before
    assert _own_audit(db_session, two["comp_a"], "compliance_assessment_recorded") == []


@pytest.mark.parametrize(
    ("score", "status", "sentence"),
    [
        (28, "compliant", "A score of 28 is non-compliant (below 60), so the status cannot be compliant"),
        (70, "compliant", "A score of 70 is partially compliant (60–84), so the status cannot be compliant"),
        (84, "compliant", "A score of 84 is partially compliant"),
        (90, "non_compliant", "A score of 90 is compliant (85 or more), so the status cannot be non-compliant"),
        (59, "partially_compliant", "A score of 59 is non-compliant"),
    ],
)
def test_a_status_that_contradicts_its_score_is_refused(db_session, two, score, status, sentence):
    with pytest.raises(InvalidInput, match=re.escape(sentence)):
        commands.record_assessment(db_session, two["comp_a"], **_valid(two, score=score, status=status))
    assert _own_audit(db_session, two["comp_a"], "compliance_assessment_recorded") == []


@pytest.mark.parametrize(
    ("score", "status", "stored"),
    [(28, None, "non_compliant"), (60, None, "partially_compliant"), (85, None, "compliant"),
     (84, "partially_compliant", "partially_compliant"), (28, "under_review", "under_review")],
)  # fmt: skip
def test_the_status_follows_the_score_unless_the_assessment_is_under_review(db_session, two, score, status, stored):
    done = commands.record_assessment(db_session, two["comp_a"], **_valid(two, score=score, status=status))
    assert done.status == stored and db_session.get(HCT, done.id).status == stored


def test_the_bands_come_from_the_settings_and_read_as_a_legend():
    assert [(b.status, b.lower, b.upper) for b in compliance.score_bands()] == [
        ("compliant", 85, 100), ("partially_compliant", 60, 84), ("non_compliant", 0, 59),
    ]  # fmt: skip
    assert compliance.bands_legend() == "Compliant 85 or more · Partially compliant 60–84 · Non-compliant below 60"
    assert compliance.band_of(None) is None and compliance.band_of(0).tone == "poor"


@pytest.mark.parametrize(
    ("violations", "sentence"),
    [
        ([{"description": "Exit blocked", "due_date": "2030-01-31"}], "Violation 1 (“Exit blocked”) has no owner"),
        ([{"description": "Fine", "owner": "A", "due_date": "2030-01-31"}, {"description": "Log missing",
          "owner": "Safety lead"}], "Violation 2 (“Log missing”) has no due date"),
    ],
)  # fmt: skip
def test_a_violation_needs_an_owner_and_a_due_date(db_session, two, violations, sentence):
    with pytest.raises(InvalidInput, match=re.escape(sentence)):
        commands.record_assessment(db_session, two["comp_a"], **_valid(two, violations=violations))


def test_an_open_corrective_action_needs_an_owner_and_a_due_date_a_closed_one_not(db_session, two):
    with pytest.raises(InvalidInput, match=re.escape("Corrective action 1 (“Clear the exit”) has no due date")):
        commands.record_assessment(db_session, two["comp_a"], **_valid(two, corrective_actions=[
            {"description": "Clear the exit", "owner": "Facility Manager", "status": "in_progress"}]))  # fmt: skip
    done = commands.record_assessment(db_session, two["comp_a"], **_valid(two, corrective_actions=[
        {"description": "Cleared last month", "status": "closed"}]))  # fmt: skip
    assert done.actions == 1


def test_recording_is_audited_with_old_and_new_values(db_session, two):
    done = commands.record_assessment(db_session, two["comp_a"], **_valid(two, score="88"))
    assert (done.score, done.violations, done.actions, done.hospital_name) == (88, 1, 1, "Compliance Alpha Hospital")
    [row] = _own_audit(db_session, two["comp_a"], "compliance_assessment_recorded")
    assert row.compliance_relevant and row.resource_id == done.id and row.hospital_id == two["a"]
    assert row.old_values["score"] == 80 and row.old_values["assessment_id"] == two["ids"]["a_now"]
    assert row.new_values["score"] == 88 and row.new_values["violations"][0]["description"] == "Drill log unsigned"


def test_text_with_html_and_markdown_is_stored_as_typed(db_session, two):
    done = commands.record_assessment(
        db_session, two["comp_a"],
        **_valid(two, details=NASTY, violations=[{"description": NASTY, "owner": NASTY, "due_date": "2030-01-31"}],
                 corrective_actions=[{"description": NASTY, "owner": NASTY, "due_date": "2030-01-31"}]),
    )  # fmt: skip
    saved = assessments.history(db_session, two["comp_a"], hospital_id=two["a"], compliance_type=FIRE)[0]
    assert saved.id == done.id
    assert saved.details["summary"] == NASTY
    assert saved.violations[0].description == NASTY and saved.actions[0].owner == NASTY


@pytest.mark.parametrize("who", ["ha_a", "exec_a"])
def test_readers_who_are_not_writers_cannot_record_or_close(db_session, two, who):
    with pytest.raises(NotPermitted):
        commands.record_assessment(db_session, two[who], **_valid(two))
    with pytest.raises(NotPermitted):
        commands.close_item(db_session, two[who], two["ids"]["a_now"], kind="violation", position=0,
                              description="Emergency exit blocked")  # fmt: skip


def test_a_compliance_officer_cannot_assess_another_hospital(db_session, two):
    with pytest.raises(OutOfScope):
        commands.record_assessment(db_session, two["comp_a"], **_valid(two, hospital_id=two["b"]))


# --- Closing items ---------------------------------------------------------------------------------------


def test_closing_an_action_records_who_and_when_and_is_audited(db_session, two):
    officer = two["comp_a"]
    done = commands.close_item(db_session, officer, two["ids"]["a_now"], kind="action", position=0,
                                 description="Clear the east exit")  # fmt: skip
    assert done.description == "Clear the east exit" and done.kind == "action"
    db_session.expire_all()
    stored = db_session.get(HCT, two["ids"]["a_now"]).corrective_actions[0]
    assert stored["status"] == "closed" and stored["closed_by"] == officer.user_id and stored["closed_at"]
    assert stored["action"] == "Clear the east exit"  # the rest of the entry kept as it was
    [row] = _own_audit(db_session, officer, "compliance_action_closed")
    assert row.old_values["entry"]["status"] == "in_progress" and row.new_values["entry"]["status"] == "closed"
    assert row.compliance_relevant
    assert [i.kind for i in findings.list_open_items(db_session, officer).rows] == ["violation"]
    with pytest.raises(InvalidInput, match="already closed"):
        commands.close_item(db_session, officer, two["ids"]["a_now"], kind="action", position=0,
                              description="Clear the east exit")  # fmt: skip


def test_closing_refuses_history_a_changed_item_and_another_hospital(db_session, two):
    officer = two["comp_a"]
    with pytest.raises(InvalidInput, match="newer Fire safety assessment"):
        commands.close_item(db_session, officer, two["ids"]["a_mid"], kind="violation", position=0, description="x")
    with pytest.raises(InvalidInput, match="has changed since you opened the page"):
        commands.close_item(db_session, officer, two["ids"]["a_now"], kind="violation", position=0,
                              description="Something else")  # fmt: skip
    with pytest.raises(InvalidInput, match="no longer on the assessment"):
        commands.close_item(db_session, officer, two["ids"]["a_now"], kind="violation", position=7, description="x")
    with pytest.raises(OutOfScope):
        commands.close_item(db_session, officer, two["ids"]["b_now"], kind="violation", position=0,
                              description="Beta's own finding")  # fmt: skip
    db_session.expire_all()
    assert db_session.get(HCT, two["ids"]["b_now"]).violations[0]["status"] == "open"


# --- The fast reads give the straightforward queries' figures -----------------------------------------------


def _straight_current(db, who):
    """The current assessments as first written: DISTINCT ON over the wide rows themselves."""
    from sqlalchemy.dialects.postgresql import distinct_on

    stmt = (
        select(HCT.id, HCT.status, HCT.score, HCT.next_assessment_due)
        .ext(distinct_on(HCT.hospital_id, HCT.compliance_type))
        .order_by(HCT.hospital_id, HCT.compliance_type, HCT.last_assessment_date.desc(), HCT.created_at.desc(),
                  HCT.id.desc())
    )  # fmt: skip
    if not who.network_wide:
        stmt = stmt.where(HCT.hospital_id == who.hospital_id)
    return db.execute(stmt).all()


def test_the_summary_in_fewer_passes_is_the_straightforward_count(db_session, two):
    # One more hospital with an unscored and a due-soon assessment, and a finding not in the documented shape.
    c = add_hospital(db_session, "Compliance Gamma Hospital")
    _add(db_session, c, FIRE, days_ago=3, score=None, status="under_review", due_in=10,
         violations=["loose text", {"description": "Hose missing", "status": "OPEN"}])  # fmt: skip
    now = db_session.scalar(select(func.now()))
    for who in ("admin", "exec_a", "comp_a"):
        figures = scores.summary(db_session, two[who])
        current = _straight_current(db_session, two[who])
        scored = [r.score for r in current if r.score is not None]
        assert figures.assessments == len(current)
        assert figures.average_score == pytest.approx(sum(scored) / len(scored))
        for status in {r.status for r in current}:
            assert figures.by_status[status] == sum(r.status == status for r in current)
        assert figures.overdue == sum(r.next_assessment_due is not None and r.next_assessment_due < now
                                      for r in current)  # fmt: skip
        assert figures.due_soon == sum(
            r.next_assessment_due is not None and now <= r.next_assessment_due < now + timedelta(days=30)
            for r in current
        )
        items = findings.export_open_items(db_session, two[who])[0]
        assert figures.open_violations == sum(i.kind == "violation" for i in items)
        assert figures.open_actions == sum(i.kind == "action" for i in items)
        assert figures.overdue_items == sum(i.overdue for i in items)


def test_open_items_and_due_pages_are_paged_by_fetch_page(db_session, two):
    from dashboard.platform.paging import fetch_page

    c = add_hospital(db_session, "Compliance Gamma Hospital")
    today = datetime.now(LAGOS).date()
    _add(db_session, c, WASTE, days_ago=40, score=60, due_in=30, violations=[
        {"description": f"Finding {n}", "due_date": (today + timedelta(days=n - 3)).isoformat(), "status": "open"}
        for n in range(7)
    ], actions=[{"description": "Retrain staff", "status": "open"}, 42])  # fmt: skip
    for who in ("admin", "comp_a"):
        actor_ = two[who]
        for search, kind in (("", None), ("", "violation"), ("", "action"), ("finding", None), ("no such", None)):
            for page_size in (1, 3, 25):
                for page in (1, 2, 3, 50):
                    stmt = findings.open_items_select(actor_, today, search, kind)
                    rows, total, number, _ = fetch_page(db_session, stmt, page=page, page_size=page_size)
                    got = findings.list_open_items(db_session, actor_, search=search, kind=kind, page=page,
                                                     page_size=page_size, today=today)  # fmt: skip
                    assert (got.rows, got.total, got.page) == ([findings.OpenItem(*r) for r in rows], total, number)
                    rows, total, number, _ = fetch_page(
                        db_session, assessments.due_select(actor_, search), page=page, page_size=page_size
                    )
                    due = assessments.list_due(db_session, actor_, search=search, page=page, page_size=page_size)
                    assert [d.id for d in due.rows] == [r[0] for r in rows] and (due.total, due.page) == (total, number)
