"""AppTest of Compliance and Verification as each staff role.

The two-hospital network of shell_fixtures gains, for this module only, a history of fire-safety
assessments in A (the current one with an open violation and an overdue action), one assessment in
B, a hospital awaiting verification and documents pending review, some with names that look like
links or HTML. Committed once, removed afterwards.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.domains.governance import compliance
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput
from dashboard.platform.formatting import lagos_date
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import AuditLog, Document, Hospital, HospitalComplianceTracking, Notification, Profile, User
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, sign_in

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env

HCT = HospitalComplianceTracking
ROLE_ACCOUNTS = {
    UserRole.ADMIN: "admin",
    UserRole.HOSPITAL_ADMIN: "ha_a",
    UserRole.EXECUTIVE: "exec_a",
    UserRole.COMPLIANCE_OFFICER: "comp_a",
}
FIRE = "Fire safety"
LINKY = "[click me](javascript:alert(1)) <b>licence</b>"
PENDING_HOSPITAL = "Gamma Pending Clinic"


def _at(days_ago: int) -> datetime:
    return datetime.combine(datetime.now(LAGOS).date() - timedelta(days=days_ago), time(12), tzinfo=LAGOS)


@pytest.fixture(scope="module")
def governance(app_env, engine):
    net = app_env
    today = datetime.now(LAGOS).date()
    with Session(engine) as session, session.begin():
        rows = [
            HCT(hospital_id=net.hospital_a, compliance_type=FIRE, status="non_compliant", score=50,
                last_assessment_date=_at(200), next_assessment_due=_at(110)),
            HCT(hospital_id=net.hospital_a, compliance_type=FIRE, status="partially_compliant", score=72,
                last_assessment_date=_at(30), next_assessment_due=_at(5),
                violations=[{"description": "Exit blocked", "severity": "critical", "owner": LINKY,
                             "due_date": (today + timedelta(days=9)).isoformat(), "status": "open"}],
                corrective_actions=[{"description": "Clear the exit", "severity": "high", "owner": "Facility Manager",
                                     "due_date": (today - timedelta(days=2)).isoformat(), "status": "open"}]),
            HCT(hospital_id=net.hospital_b, compliance_type=FIRE, status="compliant", score=97,
                last_assessment_date=_at(10), next_assessment_due=_at(-200),
                violations=[{"description": "Beta only finding", "status": "open"}]),
        ]  # fmt: skip
        pending = Hospital(name=PENDING_HOSPITAL, city="Jos", state="Plateau", verification_status="pending",
                           verification_documents=[{"type": "Operating licence", "url": "javascript:alert(1)",
                                                    "status": "pending"}])  # fmt: skip
        session.add_all([*rows, pending])
        session.flush()
        documents = [
            Document(user_id=net.users["physician_a"], document_name=LINKY, document_type="medical_licence",
                     document_url="javascript:alert(document.cookie)", upload_date=_at(6)),
            Document(user_id=net.users["patient"], document_name="NIN slip", document_type="national_id",
                     document_url="https://files.test.ng/nin.pdf", upload_date=_at(2)),
        ]  # fmt: skip
        session.add_all(documents)
        session.flush()
        ids = {"compliance": [r.id for r in rows], "current": rows[1].id, "hospital": pending.id,
               "documents": [d.id for d in documents]}  # fmt: skip
    data.clear_cache()
    yield ids
    with Session(engine) as session, session.begin():
        session.execute(delete(Notification).where(Notification.user_id.in_(list(net.users.values()))))
        session.execute(delete(Document).where(Document.id.in_(ids["documents"])))
        session.execute(delete(HCT).where(HCT.hospital_id.in_([net.hospital_a, net.hospital_b, ids["hospital"]])))
        session.execute(delete(Hospital).where(Hospital.id == ids["hospital"]))
    data.clear_cache()


@pytest.fixture(scope="module")
def tokens(app_env, engine, governance):
    return {role: sign_in(engine, app_env.emails[label]) for role, label in ROLE_ACCOUNTS.items()}


def page(file: str, token: str) -> AppTest:
    at = page_app(file, timeout=30)
    at.session_state[TOKEN_KEY] = token
    return at.run()


def _markdown_texts(at: AppTest) -> list[str]:
    return [m.value for m in [*at.markdown, *at.caption, *at.success, *at.info, *at.error, *at.warning]]


def _button(at: AppTest, label: str):
    return at.button[[b.label for b in at.button].index(label)]


# --- Compliance ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_every_staff_role_reads_compliance_in_its_scope(tokens, role):
    at = page("compliance.py", tokens[role])
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Assessments overdue"] in {"1", "2"} and "Open findings" in labels
    assert len(at.get("plotly_chart")) >= 3
    tables = [d.value for d in at.dataframe]
    descriptions = {v for t in tables if "Description" in t.columns for v in t["Description"]}
    assert "Exit blocked" in descriptions and "Clear the exit" in descriptions
    if role is UserRole.ADMIN:
        assert "Beta only finding" in descriptions  # the network sees B too
    else:
        assert "Beta only finding" not in descriptions
    writes = role in (UserRole.ADMIN, UserRole.COMPLIANCE_OFFICER)
    assert ("Save assessment" in [b.label for b in at.button]) is writes
    assert any(e.label == "Record an assessment" for e in at.expander) is writes
    assert ("Close this finding…" in [b.label for b in at.button]) is writes
    assert not any("](javascript" in text for text in _markdown_texts(at))


def test_the_overdue_action_is_at_the_top_of_the_open_findings(tokens):
    at = page("compliance.py", tokens[UserRole.COMPLIANCE_OFFICER])
    findings = next(d.value for d in at.dataframe if "Finding" in d.value.columns)
    assert list(findings["Description"])[:2] == ["Clear the exit", "Exit blocked"]
    assert [due.endswith(" · overdue") for due in findings["Due"]][:2] == [True, False]
    history = next(d.value for d in at.dataframe if "Assessor" in d.value.columns)
    # The history of A's fire safety, newest first, each score with the mark of its band (amber, red).
    assert list(history["Score"]) == ["◐ 72", "✗ 50"]


def test_a_compliance_officer_records_an_assessment_refused_then_saved(tokens, engine, app_env):
    at = page("compliance.py", tokens[UserRole.COMPLIANCE_OFFICER])
    at.selectbox(key="compliance_form_type").set_value(FIRE).run()
    inputs = {d.label: d for d in at.date_input}
    today = datetime.now(LAGOS).date()
    inputs["Next assessment due"].set_value(today - timedelta(days=1))
    _score(at).input("93")
    _button(at, "Save assessment").click().run()
    assert any("not after the assessment" in e.value for e in at.error), [e.value for e in at.error]
    with Session(engine) as session:
        assert len(session.scalars(select(HCT).where(HCT.hospital_id == app_env.hospital_a)).all()) == 2
    {d.label: d for d in at.date_input}["Next assessment due"].set_value(today + timedelta(days=90))
    _score(at).input("93")
    _button(at, "Save assessment").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        newest = session.scalars(
            select(HCT).where(HCT.hospital_id == app_env.hospital_a).order_by(HCT.created_at.desc())
        ).first()
        assert (newest.score, newest.assessed_by) == (93, app_env.users["comp_a"])
        # The open findings of the previous assessment were carried into the form and saved with it.
        assert [v["description"] for v in newest.violations] == ["Exit blocked"]
        assert newest.violations[0]["owner"] == LINKY
        audited = session.scalars(select(AuditLog).where(AuditLog.resource_id == newest.id)).all()
        assert [a.action_type for a in audited] == ["compliance_assessment_recorded"]


def _score(at: AppTest):
    return next(t for t in at.text_input if t.label == "Score (0–100)")


@pytest.mark.parametrize(
    ("typed", "said"),
    [("101", "101 is outside that range"), ("-1", "-1 is outside that range"), ("ninety", '"ninety" is not one')],
)
def test_a_score_out_of_range_or_not_a_number_is_refused_in_a_sentence(tokens, typed, said):
    at = page("compliance.py", tokens[UserRole.COMPLIANCE_OFFICER])
    at.selectbox(key="compliance_form_type").set_value(FIRE).run()
    _score(at).input(typed)
    _button(at, "Save assessment").click().run()
    assert not at.exception
    assert any("The score must" in e.value and said in e.value for e in at.error), [e.value for e in at.error]


def test_after_saving_the_history_opens_on_the_type_just_saved(tokens, engine, app_env):
    at = page("compliance.py", tokens[UserRole.COMPLIANCE_OFFICER])
    form_type = at.selectbox(key="compliance_form_type")
    other = next(t for t in form_type.options if t not in (FIRE, "Another type…"))
    assert at.selectbox(key="compliance_history_type").value != other
    form_type.set_value(other).run()
    _score(at).input("64")
    _button(at, "Save assessment").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="compliance_history_type").value == other
    history = next(d.value for d in at.dataframe if "Assessor" in d.value.columns)
    assert list(history["Score"])[0] == "◐ 64"
    with Session(engine) as session, session.begin():  # leave the module's data as the other tests expect it
        session.execute(delete(HCT).where(HCT.compliance_type == other))
    data.clear_cache()


def test_closing_a_finding_asks_first_then_records_who_closed_it(tokens, engine, app_env):
    at = page("compliance.py", tokens[UserRole.COMPLIANCE_OFFICER])
    choice = at.selectbox(key="compliance_close_choice")
    assert choice.options[0] == "Overdue · Corrective action: Clear the exit · Fire safety"  # chosen first
    _button(at, "Close this finding…").click().run()
    assert any("It is recorded as closed by you" in w.value for w in at.warning)
    _button(at, "Confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        newest = session.scalars(
            select(HCT).where(HCT.hospital_id == app_env.hospital_a).order_by(HCT.last_assessment_date.desc(),
                                                                            HCT.created_at.desc())
        ).first()  # fmt: skip
        action = next(a for a in newest.corrective_actions if a["description"] == "Clear the exit")
        assert action["status"] == "closed" and action["closed_by"] == app_env.users["comp_a"]


def test_the_status_of_a_saved_assessment_follows_its_score(tokens, engine, app_env):
    at = page("compliance.py", tokens[UserRole.COMPLIANCE_OFFICER])
    form_type = at.selectbox(key="compliance_form_type")
    other = next(t for t in form_type.options if t not in (FIRE, "Another type…"))
    form_type.set_value(other).run()
    status = next(s for s in at.selectbox if s.label == "Status")
    assert status.options == ["Follows the score", "Under review"]  # no status that could contradict the score
    _score(at).input("28")
    _button(at, "Save assessment").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    try:
        with Session(engine) as session:
            saved = session.scalars(select(HCT).where(HCT.compliance_type == other)).one()
            assert (saved.score, saved.status) == (28, "non_compliant")  # not "compliant", the old default
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(HCT).where(HCT.compliance_type == other))
        data.clear_cache()


def test_a_carried_violation_without_an_owner_is_refused_naming_its_row(tokens, engine, app_env):
    at = page("compliance.py", tokens[UserRole.ADMIN])
    at.selectbox(key="compliance_form_hospital").set_value(app_env.hospital_b).run()
    at.selectbox(key="compliance_form_type").set_value(FIRE).run()
    _score(at).input("90")
    _button(at, "Save assessment").click().run()
    assert not at.exception
    # B's open finding, carried into the form, has no owner and no due date: the row is named.
    assert any("Violation 1 (“Beta only finding”) has no owner" in e.value.replace("\\", "") for e in at.error), [
        e.value for e in at.error
    ]
    with Session(engine) as session:
        assert len(session.scalars(select(HCT).where(HCT.hospital_id == app_env.hospital_b)).all()) == 1


def test_the_heatmap_is_red_amber_green_with_the_thresholds_in_its_legend(tokens):
    import json

    at = page("compliance.py", tokens[UserRole.ADMIN])
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [heatmap] = [d for spec in specs for d in spec["data"] if d.get("type") == "heatmap"]
    colours = {colour for _, colour in heatmap["colorscale"]}
    assert colours == {"#D55E00", "#E69F00", "#009E73"}  # vermillion, orange, bluish green: red, amber, green
    assert heatmap["colorbar"]["ticktext"] == ["✗ Non-compliant<br>below 60", "◐ Partially compliant<br>60–84",
                                               "✓ Compliant<br>85 or more"]  # fmt: skip
    # Every cell marks its band with a shape too, the band its score falls in (B's 97 among them).
    cells = {t for row in heatmap["text"] for t in row if t}
    assert "97 ✓" in cells
    marks = {b.status: m for b, m in zip(compliance.score_bands(), "✓◐✗", strict=True)}
    for cell in cells:
        score, mark = cell.split(" ", 1)
        assert marks[compliance.status_for_score(int(score))] == mark, cell
    assert any("Score bands: " in c.value and "Non-compliant below 60" in c.value for c in at.caption)


def test_the_findings_table_keeps_to_the_columns_that_fit_and_details_one_in_full(tokens):
    at = page("compliance.py", tokens[UserRole.ADMIN])
    findings = next(d.value for d in at.dataframe if "Finding" in d.value.columns)
    assert list(findings.columns) == ["Due", "Hospital", "Type", "Finding", "Description", "Owner", "State"]
    detail = next(d.value for d in at.dataframe if list(d.value.columns) == ["Field", "Value"])
    fields = dict(zip(detail["Field"], detail["Value"], strict=True))
    # The first finding of the table, chosen first, with every field and the whole description.
    assert (fields["Owner"], fields["Hospital"], fields["Due"]) == (findings["Owner"][0], findings["Hospital"][0],
                                                                  findings["Due"][0])  # fmt: skip
    assert findings["Description"][0] in [t.value for t in at.text]


# --- Verification ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.HOSPITAL_ADMIN, UserRole.EXECUTIVE, UserRole.COMPLIANCE_OFFICER])
def test_verification_is_refused_to_everyone_but_network_admins(tokens, role):
    at = page("verification.py", tokens[role])
    assert not at.title and any("cannot open the Verification page" in e.value for e in at.error)


def test_the_admin_sees_both_queues_with_links_only_for_http(tokens):
    at = page("verification.py", tokens[UserRole.ADMIN])
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Hospitals to verify"]) >= 1 and int(labels["Documents to verify"]) >= 2
    hospitals = next(d.value for d in at.dataframe if "Registered" in d.value.columns)
    assert PENDING_HOSPITAL in set(hospitals["Hospital"])
    documents = next(d.value for d in at.dataframe if "Uploaded" in d.value.columns)
    links = dict(zip(documents["Document"], documents["Open"], strict=True))
    assert links["NIN slip"] == "https://files.test.ng/nin.pdf" and pd.isna(links[LINKY])
    assert len(at.get("plotly_chart")) == 2 or any("No document was decided" in i.value for i in at.info)
    assert not any("](javascript" in text for text in _markdown_texts(at))


def test_the_longest_wait_is_the_first_row_of_the_queues_in_readable_units(tokens):
    at = page("verification.py", tokens[UserRole.ADMIN])
    labels = {m.label: m.value for m in at.metric}
    hospitals = next(d.value for d in at.dataframe if "Registered" in d.value.columns)
    documents = next(d.value for d in at.dataframe if "Uploaded" in d.value.columns)
    heads = {hospitals["Waiting"][0], documents["Waiting"][0]}
    assert labels["Longest wait"] in heads
    assert "6 days" in set(documents["Waiting"])  # the licence uploaded 6 days ago
    assert not any(w.endswith("days") and int(w.split()[0].replace(",", "")) > 14 for w in documents["Waiting"])


def test_approving_a_document_needs_a_reason_and_notifies_its_owner(tokens, engine, app_env, governance):
    at = page("verification.py", tokens[UserRole.ADMIN])
    at.selectbox(key="verification_document_choice").set_value(governance["documents"][1]).run()
    at.button(key="verification_document_approve").click().run()
    assert any("Give a reason" in e.value for e in at.error)
    reason = next(t for t in at.text_area if t.key.startswith("verification_document_reason"))
    reason.input("Matches the NIMC record.").run()
    at.button(key="verification_document_approve").click().run()
    assert any("Approve “NIN slip”? Its owner is notified" in w.value for w in at.warning)
    _button(at, "Confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        document = session.get(Document, governance["documents"][1])
        assert (document.verification_status, document.verified_by) == ("verified", app_env.users["admin"])
        [note] = session.scalars(select(Notification).where(Notification.user_id == app_env.users["patient"])).all()
        assert "Matches the NIMC record." in note.message


def test_pages_run_a_bounded_number_of_statements(tokens):
    from tests.floor.test_floor_pages import counted_statements

    for file in ("compliance.py", "verification.py"):
        page(file, tokens[UserRole.ADMIN])
        with counted_statements() as statements:
            page(file, tokens[UserRole.ADMIN])
        assert len(statements) < 60, (file, len(statements))


def test_a_hospital_admins_profile_is_untouched(engine, app_env):
    # The module's cleanup removes only what it made: the shell network's people are still there.
    with Session(engine) as session:
        assert session.scalar(select(Profile.role).where(Profile.user_id == app_env.users["ha_a"])) == (
            UserRole.HOSPITAL_ADMIN
        )
        assert session.get(User, app_env.users["patient"]) is not None


# --- Audit trail ---------------------------------------------------------------------------------------------


def test_the_audit_trail_keeps_to_the_date_range_it_is_given(db_session, app_env):
    from dashboard.domains.governance import audit_trail
    from tests.fixtures.queue_builders import actor

    reader = actor(UserRole.HOSPITAL_ADMIN, app_env.hospital_a, "trail-range")
    today = datetime.now(LAGOS).date()
    db_session.add(AuditLog(user_id=app_env.users["ha_a"], hospital_id=app_env.hospital_a, action_category="fixture",
                            action_type="dated_fixture_row", created_at=_at(60)))  # fmt: skip
    db_session.flush()

    def found(**period) -> tuple[list[str], list[str]]:
        page = audit_trail.list_entries(db_session, reader, search="dated fixture", **period)
        export, _ = audit_trail.export_entries(db_session, reader, search="dated fixture", **period)
        return [e.action_type for e in page.rows], [e.action_type for e in export]

    assert found() == (["dated_fixture_row"], ["dated_fixture_row"])  # no range: the whole trail
    assert found(start=today - timedelta(days=90), end=today - timedelta(days=60)) == (
        ["dated_fixture_row"], ["dated_fixture_row"])  # fmt: skip
    assert found(start=today - timedelta(days=59), end=today) == ([], [])  # the default 30 days and more: not in it
    assert found(start=today - timedelta(days=90), end=today - timedelta(days=61)) == ([], [])
    with pytest.raises(InvalidInput):
        found(start=today, end=today - timedelta(days=1))


def test_the_audit_trail_page_lists_the_sidebars_date_range_only(tokens):
    from dashboard.kit import filters

    at = page("audit_trail.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert "Fixture row alpha" in set(at.dataframe[0].value["Action"])  # written today: in the last 30 days
    today = datetime.now(LAGOS).date()
    at.session_state[filters.RANGE_KEY] = (today - timedelta(days=90), today - timedelta(days=60))
    at.run()
    assert not at.exception
    assert not any("Fixture row alpha" in set(d.value.get("Action", [])) for d in at.dataframe)
    assert any(c.value.startswith(f"Entries from {lagos_date(today - timedelta(days=90))} to ") for c in at.caption)
