"""The verification service: two queues oldest first, decisions with reasons that notify and audit in one
transaction, no double decision (two connections racing on one document), safe links, and the figures."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dashboard.domains.governance import verification
from dashboard.domains.governance import verification_decisions as decisions
from dashboard.domains.governance import verification_figures as figures
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AuditLog, Document, Hospital, Notification, Profile, User
from tests.fixtures.queue_builders import actor, add_hospital, db_now

NASTY = '<b>bold</b> **x** [y](javascript:alert(1))'


def _user(db, first, last, role, hospital_id=None) -> str:
    user = User(email=f"{first}.{secrets.token_hex(4)}@verify.test.ng".lower(), password="x")
    user.profile = Profile(first_name=first, last_name=last, role=role, hospital_id=hospital_id)
    db.add(user)
    db.flush()
    return user.id


def _document(db, owner, name, *, days_ago, url=None, status="pending") -> str:
    row = Document(user_id=owner, document_name=name, document_type="medical_licence",
                   document_url=url or f"https://files.test.ng/{secrets.token_hex(3)}.pdf", verification_status=status,
                   upload_date=db_now(db) - timedelta(days=days_ago))  # fmt: skip
    db.add(row)
    db.flush()
    return row.id


@pytest.fixture
def queue(db_session):
    db = db_session
    a = add_hospital(db, "Verify Alpha Hospital")
    b = add_hospital(db, "Verify Beta Hospital")
    new = add_hospital(db, "Verify New Clinic", verification_status="pending", verification_documents=[])
    older = add_hospital(db, "Verify Older Clinic", verification_status="pending")
    db.get(Hospital, older).created_at = db_now(db) - timedelta(days=40)
    db.get(Hospital, new).created_at = db_now(db) - timedelta(days=2)
    admins = [_user(db, "Hadiza", "Admin", UserRole.HOSPITAL_ADMIN, older),
              _user(db, "Femi", "Admin", UserRole.HOSPITAL_ADMIN, older)]  # fmt: skip
    doctor = _user(db, "Ngozi", "Okafor", UserRole.PHYSICIAN, a)
    other = _user(db, "Bala", "Usman", UserRole.PHYSICIAN, b)
    licence = _document(db, doctor, "MDCN licence - Ngozi Okafor", days_ago=10)
    db.get(Hospital, older).verification_documents = [
        {"type": "CAC certificate", "document_id": licence, "status": "pending"},
        {"type": "Operating licence", "url": "javascript:alert(1)", "status": "pending"},
        "a bare string from another client",
    ]
    docs = {
        "licence": licence,
        "fresh": _document(db, doctor, "Referral letter", days_ago=0.2, url="data:text/html,<script>x</script>"),
        "b_doc": _document(db, other, "Beta licence", days_ago=5),
        "done": _document(db, other, "Old licence", days_ago=30, status="verified"),
    }
    done = db.get(Document, docs["done"])
    done.verified_at = db_now(db) - timedelta(days=26)  # decided 4 days after upload
    db.flush()
    return {
        "a": a, "b": b, "new": new, "older": older, "admins": admins, "doctor": doctor, "docs": docs,
        "admin": actor(UserRole.ADMIN, None, "admin"),
        "admin_a": actor(UserRole.ADMIN, a, "admin-a"),
        "ha_a": actor(UserRole.HOSPITAL_ADMIN, a, "ha-a"),
        "comp_a": actor(UserRole.COMPLIANCE_OFFICER, a, "comp-a"),
    }  # fmt: skip


def _notes(db, user_id):
    return db.scalars(select(Notification).where(Notification.user_id == user_id)).all()


def _own_audit(db, who):
    found = select(AuditLog).where(AuditLog.user_id == who.user_id, AuditLog.action_category == "verification")
    return db.scalars(found).all()


def test_safe_link_accepts_http_and_https_only():
    assert verification.safe_link(" https://files.test.ng/a.pdf ") == "https://files.test.ng/a.pdf"
    assert verification.safe_link("http://x.ng/a?b=c") == "http://x.ng/a?b=c"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>", "ftp://x.ng/a", "//x.ng/a",
                "https:///nohost", "https://x.ng/a b", "https:\\\\x.ng", "\x01https://x.ng", "", None, 42):  # fmt: skip
        assert verification.safe_link(bad) is None, bad


def test_queues_are_oldest_first_with_their_waits_and_documents(db_session, queue):
    hospitals = verification.list_pending_hospitals(db_session, queue["admin"], search="Verify")
    assert [h.name for h in hospitals.rows] == ["Verify Older Clinic", "Verify New Clinic"]
    older = hospitals.rows[0]
    assert older.waited_days == pytest.approx(40, abs=0.01)
    assert [(d.label, d.link) for d in older.documents][:2] == [
        ("CAC certificate", db_session.get(Document, queue["docs"]["licence"]).document_url),
        ("Operating licence", None),  # javascript: is never a link
    ]
    assert older.documents[1].address == "javascript:alert(1)"
    assert older.documents[2].label == '"a bare string from another client"'
    documents = verification.list_pending_documents(db_session, queue["admin"], search="Verify Beta")
    assert [d.document_name for d in documents.rows] == ["Beta licence"]  # a search matches the owner's hospital
    documents = verification.list_pending_documents(db_session, queue["admin"], search="licence")
    names = [d.document_name for d in documents.rows]
    assert names.index("MDCN licence - Ngozi Okafor") < names.index("Beta licence")
    fresh = verification.list_pending_documents(db_session, queue["admin"], search="Referral").rows[0]
    assert fresh.link is None and fresh.address.startswith("data:") and fresh.owner_name == "Ngozi Okafor"
    assert fresh.owner_role == "Physician" and fresh.hospital_name == "Verify Alpha Hospital"


def test_a_scoped_admin_sees_the_hospitals_documents_only(db_session, queue):
    rows = verification.list_pending_documents(db_session, queue["admin_a"]).rows
    assert {d.document_name for d in rows} == {"MDCN licence - Ngozi Okafor", "Referral letter"}
    assert verification.list_pending_hospitals(db_session, queue["admin_a"]).total == 0
    with pytest.raises(OutOfScope):
        decisions.decide_document(db_session, queue["admin_a"], queue["docs"]["b_doc"], decision="approve",
                                     reason="ok")  # fmt: skip


@pytest.mark.parametrize("who", ["ha_a", "comp_a"])
def test_only_network_admins_read_or_decide(db_session, queue, who):
    with pytest.raises(NotPermitted):
        verification.list_pending_documents(db_session, queue[who])
    with pytest.raises(NotPermitted):
        decisions.decide_document(db_session, queue[who], queue["docs"]["licence"], decision="approve",
                                     reason="fine")  # fmt: skip
    assert db_session.get(Document, queue["docs"]["licence"]).verification_status == "pending"


def test_approving_a_document_sets_who_and_when_notifies_the_owner_and_audits(db_session, queue):
    admin = queue["admin"]
    done = decisions.decide_document(db_session, admin, queue["docs"]["licence"], decision="approve",
                                        reason="Checked against the MDCN register.")  # fmt: skip
    assert (done.status, done.notified) == ("verified", 1)
    db_session.expire_all()
    row = db_session.get(Document, queue["docs"]["licence"])
    assert (row.verification_status, row.verified_by) == ("verified", admin.user_id) and row.verified_at is not None
    [note] = _notes(db_session, queue["doctor"])
    assert note.type == "success" and note.title == "Document verified"
    assert "Checked against the MDCN register." in note.message and "MDCN licence" in note.message
    [entry] = _own_audit(db_session, admin)
    assert entry.action_type == "document_verified" and entry.compliance_relevant
    assert entry.new_values["reason"] == "Checked against the MDCN register." and entry.hospital_id == queue["a"]
    with pytest.raises(InvalidInput, match="was already verified by"):
        decisions.decide_document(db_session, admin, queue["docs"]["licence"], decision="reject", reason="late")


def test_rejecting_a_hospital_tells_each_of_its_administrators_why(db_session, queue):
    done = decisions.decide_hospital(db_session, queue["admin"], queue["older"], decision="reject", reason=NASTY)
    assert (done.status, done.notified) == ("rejected", 2)
    db_session.expire_all()
    assert db_session.get(Hospital, queue["older"]).verification_status == "rejected"
    for admin in queue["admins"]:
        [note] = _notes(db_session, admin)
        assert note.type == "warning" and NASTY in note.message  # stored as typed; the page shows it as text
    [entry] = _own_audit(db_session, queue["admin"])
    assert entry.action_type == "hospital_verification_rejected" and entry.old_values == {
        "verification_status": "pending"
    }
    with pytest.raises(InvalidInput, match="no longer awaiting verification"):
        decisions.decide_hospital(db_session, queue["admin"], queue["older"], decision="approve", reason="ok")


@pytest.mark.parametrize(
    ("decision", "reason", "sentence"),
    [("approve", "", "Give a reason"), ("approve", "   ", "Give a reason"), ("maybe", "x", "approve or to reject"),
     ("reject", "x" * 501, "at most 500 characters"), ("approve", None, "Give a reason")],
)  # fmt: skip
def test_a_decision_needs_a_reason_and_a_choice(db_session, queue, decision, reason, sentence):
    with pytest.raises(InvalidInput, match=sentence):
        decisions.decide_document(db_session, queue["admin"], queue["docs"]["licence"], decision=decision,
                                     reason=reason)  # fmt: skip
    with pytest.raises(InvalidInput, match=sentence):
        decisions.decide_hospital(db_session, queue["admin"], queue["new"], decision=decision, reason=reason)
    assert db_session.get(Document, queue["docs"]["licence"]).verification_status == "pending"
    assert _notes(db_session, queue["doctor"]) == []


def test_unknown_items_are_refused(db_session, queue):
    with pytest.raises(NotFound):
        decisions.decide_document(db_session, queue["admin"], "nope\x00", decision="approve", reason="x")
    with pytest.raises(NotFound):
        decisions.decide_hospital(db_session, queue["admin"], "no-such-hospital", decision="approve", reason="x")


def test_figures_backlog_by_age_and_median_time_to_verify(db_session, queue):
    buckets = figures.backlog_by_age(db_session, queue["admin"])
    by_label = {b.label: (b.hospitals, b.documents) for b in buckets}
    assert by_label["Under 1 day"][1] >= 1 and by_label["1–3 days"][0] >= 1 and by_label["Over a month"][0] >= 1
    assert [b.label for b in buckets] == ["Under 1 day", "1–3 days", "3–7 days", "1–2 weeks", "2 weeks to a month",
                                          "Over a month"]  # fmt: skip
    now = db_now(db_session).date()
    months = figures.median_days_to_verify(db_session, queue["admin_a"], start=now - timedelta(days=60), end=now)
    assert months == []  # B's decided document is outside A's scope
    months = figures.median_days_to_verify(db_session, queue["admin"], start=now - timedelta(days=60), end=now)
    assert any(m.median_days == pytest.approx(4, abs=0.01) for m in months)
    summary = figures.queue_summary(db_session, queue["admin"])
    assert summary.pending_hospitals >= 2 and summary.pending_documents >= 3 and summary.oldest_days >= 40


@pytest.mark.parametrize(
    ("days", "words"),
    [(None, "—"), (0.01, "14 min"), (0.5, "12 h"), (1.0, "1 day"), (2.2, "2 days 5 h"), (9.4, "9 days"),
     (13.6, "14 days"), (14, "2 weeks"), (21, "3 weeks"), (55, "7 weeks"), (61, "2 months"), (364, "11 months"),
     (400, "1 year 1 month"), (1321, "3 years 7 months"), (-1, "0 min")],
)  # fmt: skip
def test_a_wait_reads_in_days_then_weeks_then_months(days, words):
    assert verification.wait_text(days) == words


@pytest.mark.parametrize("who", ["admin", "admin_a"])
def test_the_longest_wait_and_the_counts_are_the_queues_own_first_row_and_total(db_session, queue, who):
    summary = figures.queue_summary(db_session, queue[who])
    documents = verification.list_pending_documents(db_session, queue[who])
    hospitals = verification.list_pending_hospitals(db_session, queue[who])
    assert (summary.pending_documents, summary.pending_hospitals) == (documents.total, hospitals.total)
    firsts = [page.rows[0].waited_days for page in (documents, hospitals) if page.rows]
    assert summary.oldest_days == pytest.approx(max(firsts), abs=1e-3)
    if who == "admin_a":  # A's own documents: the licence of 10 days is the oldest, no hospital waits
        assert summary.oldest_days == pytest.approx(10, abs=0.01) and hospitals.total == 0


def test_the_overviews_count_is_the_verification_pages_count_for_every_staff_role(db_session, queue):
    page = figures.queue_summary(db_session, queue["admin_a"])
    for who in ("admin_a", "ha_a", "comp_a"):  # the hospital's roles read the count, not the queue
        counts = verification.awaiting_counts(db_session, queue[who])
        assert (counts.documents, counts.hospitals) == (page.pending_documents, page.pending_hospitals) == (2, 0)
    network = verification.awaiting_counts(db_session, queue["admin"])
    assert network.documents == figures.queue_summary(db_session, queue["admin"]).pending_documents
    with pytest.raises(NotPermitted):
        verification.awaiting_counts(db_session, actor(UserRole.PATIENT, None, "patient"))


# --- Two administrators, one document -------------------------------------------------------------------------


def test_two_admins_deciding_one_document_at_once_give_one_decision(engine):
    with Session(engine) as db, db.begin():
        owner = _user(db, "Race", "Owner", UserRole.PHYSICIAN)
        document = _document(db, owner, "Race licence", days_ago=1)
    first_admin, second_admin = actor(UserRole.ADMIN, None, "race-1"), actor(UserRole.ADMIN, None, "race-2")
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with Session(engine) as db, db.begin():
                decisions.decide_document(db, second_admin, document, decision="reject", reason="Blurred scan")
            outcome["second"] = "done"
        except InvalidInput as exc:
            outcome["second"] = str(exc)

    first = Session(engine)
    racer = threading.Thread(target=second)
    try:
        first.begin()
        decisions.decide_document(first, first_admin, document, decision="approve", reason="Register checked")
        racer.start()
        racer.join(timeout=0.5)
        waited = racer.is_alive()  # held by the first transaction's row lock
        first.commit()
    finally:
        first.close()
        if racer.ident is not None:
            racer.join(timeout=10)
    try:
        assert waited
        assert str(outcome["second"]).startswith('"Race licence" was already verified by')
        with Session(engine) as db:
            row = db.get(Document, document)
            assert (row.verification_status, row.verified_by) == ("verified", first_admin.user_id)
            assert db.scalar(select(func.count()).where(Notification.user_id == owner)) == 1
            decided = db.scalars(select(AuditLog.user_id).where(AuditLog.resource_id == document)).all()
            assert decided == [first_admin.user_id]
    finally:
        with Session(engine) as db, db.begin():
            db.execute(delete(Notification).where(Notification.user_id == owner))
            db.execute(delete(Document).where(Document.id == document))
            db.execute(delete(Profile).where(Profile.user_id == owner))
            db.execute(delete(User).where(User.id == owner))
