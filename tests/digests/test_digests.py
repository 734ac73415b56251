"""Scheduled digests (dashboard/domains/digests, `healthdash digests run`) delivered to a real SMTP server.

A database of its own with its own two roles (as tests/governance/test_licences.py): the owner fills it with
the two-hospital network of tests/fixtures/two_hospitals.py (Alpha: 2 appointments today, Beta: 3), and every
service call and every run goes through the least-privilege app role. An aiosmtpd server on a free port takes
the mail; each message and its attachment are read back (pypdf for the board report, openpyxl for the Excel).
"""

from __future__ import annotations

import email
import email.policy
import io
from datetime import datetime, time, timedelta

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashboard import cli, digests_command
from dashboard.domains.digests import delivery, lists, schedule, subscriptions
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db import engine as db_engine
from db import roles
from db.base import UserRole
from db.models import AuditLog, DigestOutbox, DigestSubscription, Profile
from db.row_scope import apply_scope
from tests.fixtures.secured import SecuredDatabase
from tests.fixtures.servers import free_port
from tests.fixtures.two_hospitals import ALPHA, BETA, _build_network


class Inbox:
    """aiosmtpd's handler: every message received, as parsed email."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def world(admin_url):
    db = SecuredDatabase.create(admin_url, prefix="healthdash_digests")
    owner, app, app_url = db.owner, db.app, roles.as_role(db.url, db.names.app)
    network = _build_network(owner)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp = delivery.Smtp("127.0.0.1", controller.port, False, "", "", "digests@healthdash.test")
    yield {"app": app, "owner": owner, "network": network, "inbox": inbox, "smtp": smtp, "app_url": app_url}
    controller.stop()
    db.drop()


def actor(world, label: str) -> Actor:
    network = world["network"]
    role, hospital = {
        "admin": (UserRole.ADMIN, None), "ha_a": (UserRole.HOSPITAL_ADMIN, network.hospital_a),
        "ha_b": (UserRole.HOSPITAL_ADMIN, network.hospital_b), "exec_a": (UserRole.EXECUTIVE, network.hospital_a),
        "comp_a": (UserRole.COMPLIANCE_OFFICER, network.hospital_a), "exec_net": (UserRole.EXECUTIVE, None),
    }[label]  # fmt: skip
    return Actor(network.users[label], role, hospital, ClientInfo(session_id=f"session-{label}"))


def call(world, service, who: Actor, *args, **kwargs):
    with Session(world["app"]) as session, session.begin():
        apply_scope(session, who.hospital_id, who.user_id)
        return service(session, who, *args, **kwargs)


def subscribe(world, label: str, **kwargs) -> str:
    """A subscription made through the service, then dated two days back so today's 07:00 is due for it."""
    done = call(world, subscriptions.subscribe, actor(world, label), **kwargs)
    with Session(world["owner"]) as session, session.begin():
        session.execute(update(DigestSubscription).where(DigestSubscription.id == done.id)
                        .values(created_at=DigestSubscription.created_at - timedelta(days=2)))  # fmt: skip
    return done.id


def outbox(world, subscription_id: str) -> list[DigestOutbox]:
    with Session(world["owner"]) as session:
        return list(session.scalars(select(DigestOutbox).where(DigestOutbox.subscription_id == subscription_id)
                                    .order_by(DigestOutbox.due_at)))  # fmt: skip


def run(world, now: datetime, smtp=None):
    return delivery.run_digests(world["app"], now=now, smtp=smtp or world["smtp"], list_file=digests_command.list_file)


def today_at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    day = datetime.now(LAGOS).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=LAGOS)


def test_the_schedule_finds_the_latest_time_due_and_the_next():
    at = time(7, 0)
    monday_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=LAGOS)  # 7 Dec 2026 is a Monday
    daily, weekly = schedule.Schedule("daily", at), schedule.Schedule("weekly", at, weekday=2)
    monthly = schedule.Schedule("monthly", at, monthday=15)
    assert schedule.latest_due(daily, monday_0800) == datetime(2026, 12, 7, 7, 0, tzinfo=LAGOS)
    assert schedule.latest_due(daily, monday_0800.replace(hour=6)) == datetime(2026, 12, 6, 7, 0, tzinfo=LAGOS)
    assert schedule.latest_due(weekly, monday_0800) == datetime(2026, 12, 2, 7, 0, tzinfo=LAGOS)  # last Wednesday
    assert schedule.next_due(weekly, monday_0800) == datetime(2026, 12, 9, 7, 0, tzinfo=LAGOS)
    assert schedule.latest_due(monthly, monday_0800) == datetime(2026, 11, 15, 7, 0, tzinfo=LAGOS)
    assert schedule.next_due(monthly, monday_0800) == datetime(2026, 12, 15, 7, 0, tzinfo=LAGOS)
    new_year = datetime(2027, 1, 3, tzinfo=LAGOS)
    assert schedule.latest_due(monthly, new_year) == datetime(2026, 12, 15, 7, 0, tzinfo=LAGOS)
    assert monthly.words() == "Monthly on the 15th at 07:00" and weekly.words() == "Every Wednesday at 07:00"


def test_a_subscription_is_refused_in_a_sentence_when_it_cannot_be_kept(world):
    ha_a = actor(world, "ha_a")
    refusals = [
        (dict(kind="list_excel", list_key="appointments", filters={"colour": "red"}), InvalidInput, "no filter named"),
        (dict(kind="list_excel", list_key="appointments", filters={"days": 9}), InvalidInput, "pick one of 1, 7"),
        (dict(kind="list_excel", list_key="payroll"), InvalidInput, "Pick a list to send"),
        (dict(kind="alerts_summary", cadence="weekly"), InvalidInput, "day of the week"),
        (dict(kind="alerts_summary", cadence="monthly", monthday=31), InvalidInput, "1st to the 28th"),
        (dict(kind="alerts_summary", send_time="25:00"), InvalidInput, "hours and minutes"),
        (dict(kind="alerts_summary", hospital_id=world["network"].hospital_b), OutOfScope, "network administrator"),
    ]
    for kwargs, error, words in refusals:
        with pytest.raises(error, match=words):
            call(world, subscriptions.subscribe, ha_a, **kwargs)
    with pytest.raises(NotPermitted, match=r"Compliance officer\) cannot receive board report"):
        call(world, subscriptions.subscribe, actor(world, "comp_a"), kind="board_report")
    assert call(world, subscriptions.my_subscriptions, ha_a) == []  # nothing half-written
    kinds = subscriptions.kinds_for(UserRole.COMPLIANCE_OFFICER)
    assert "board_report" not in kinds and "list_excel:licences" in kinds and "list_excel:admitted" not in kinds


def test_a_run_sends_the_pdf_the_excel_and_the_alerts_each_in_its_subscribers_scope_once(world):
    inbox, network = world["inbox"], world["network"]
    board = subscribe(world, "admin", kind="board_report", send_time="07:00")
    alpha_list = subscribe(world, "ha_a", kind="list_excel", list_key="appointments", filters={"days": 1},
                           send_time="07:00")  # fmt: skip
    everyone = subscribe(world, "admin", kind="list_excel", list_key="appointments", filters={"days": 1},
                         send_time="07:00")  # fmt: skip
    alerts = subscribe(world, "exec_a", kind="alerts_summary", send_time="06:30")
    queued, outcomes = run(world, today_at(7, 5))
    assert queued == 4 and sorted(o.status for o in outcomes) == ["sent"] * 4, outcomes

    pdf_mail = [m for m in inbox.to(network.emails["admin"]) if m["Subject"].startswith("Board report")]
    assert len(pdf_mail) == 1
    pdf = next(pdf_mail[0].iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    pages = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "Financial report" in pages and "All hospitals" in pages

    alpha_mail = inbox.to(network.emails["ha_a"])
    assert len(alpha_mail) == 1 and alpha_mail[0]["Subject"].startswith(f"Appointments: {ALPHA}")
    sheet = load_workbook(io.BytesIO(next(alpha_mail[0].iter_attachments()).get_content())).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert "Hospital" not in values[0] and len(values) == 1 + 2  # Alpha's two appointments today, never Beta's three
    assert BETA not in str(values) and "2 rows in the attached workbook" in alpha_mail[0].get_body().get_content()

    network_sheets = [m for m in inbox.to(network.emails["admin"]) if m["Subject"].startswith("Appointments")]
    rows = list(load_workbook(io.BytesIO(next(network_sheets[0].iter_attachments()).get_content()))
                .active.iter_rows(values_only=True))  # fmt: skip
    hospital = rows[0].index("Hospital")
    assert sorted(r[hospital] for r in rows[1:]) == [ALPHA] * 2 + [BETA] * 3

    alert_mail = inbox.to(network.emails["exec_a"])
    body = alert_mail[0].get_body().get_content()
    assert alert_mail[0]["Subject"].startswith(f"Alerts: {ALPHA}") and "Stale bed counts" in body
    assert BETA not in body and ALPHA in body

    for sub in (board, alpha_list, everyone, alerts):
        (row,) = outbox(world, sub)
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None) and row.size_bytes > 0
    assert outbox(world, alerts)[0].due_at == today_at(6, 30)
    sent_before = len(inbox.messages)
    assert run(world, today_at(7, 20)) == (0, [])  # the same times due: nothing queued or sent twice
    assert len(inbox.messages) == sent_before
    with Session(world["owner"]) as session:
        sent_row = outbox(world, board)[0].id
        audited = session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == sent_row))
        assert list(audited) == ["digest_sent"]
    summary = call(world, subscriptions.digest_summary, actor(world, "admin"), now=today_at(8))
    assert (summary.active, summary.sent_7_days, summary.failed_7_days) == (4, 4, 0)
    # One figure, shown twice: the card and the chart's bars over the same 7 days, and the outbox's list of sent.
    week = call(world, subscriptions.deliveries_by_day, actor(world, "admin"), now=today_at(8), days=7)
    assert sum(d.sent for d in week) == summary.sent_7_days and sum(d.failed for d in week) == summary.failed_7_days
    assert call(world, subscriptions.outbox_page, actor(world, "admin"), status="sent").total == summary.sent_7_days
    mine = call(world, subscriptions.digest_summary, actor(world, "ha_a"), now=today_at(8))
    assert (mine.active, mine.sent_7_days) == (1, 1)
    for sub in (board, alpha_list, everyone, alerts):
        call(world, subscriptions.cancel, actor(world, "admin"), sub)


def test_a_failed_delivery_is_recorded_retried_with_backoff_and_failed_after_the_last_attempt(world):
    inbox, network = world["inbox"], world["network"]
    sub = subscribe(world, "ha_b", kind="alerts_summary", send_time="09:00")
    down = delivery.Smtp("127.0.0.1", free_port(), False, "", "", "digests@healthdash.test")  # nothing listens
    _, outcomes = run(world, today_at(9, 1), smtp=down)
    assert [o.status for o in outcomes] == ["retry"]
    (row,) = outbox(world, sub)
    assert (row.status, row.attempts, row.sent_at) == ("queued", 1, None)
    assert "could not be reached" in row.last_error and row.next_attempt_at == today_at(9, 6)  # 5 min later
    assert run(world, today_at(9, 3))[1] == []  # not before its next attempt
    _, outcomes = run(world, today_at(9, 7), smtp=down)
    assert [o.status for o in outcomes] == ["retry"] and outbox(world, sub)[0].next_attempt_at == today_at(9, 17)
    _, outcomes = run(world, today_at(9, 18))  # the server is back
    assert [o.status for o in outcomes] == ["sent"]
    (row,) = outbox(world, sub)
    assert (row.status, row.attempts, row.recipient) == ("sent", 3, network.emails["ha_b"])
    assert len(inbox.to(network.emails["ha_b"])) == 1
    # Past the last attempt (5 by default) it stays failed, and the run exits 1 for cron to notice.
    with Session(world["owner"]) as session, session.begin():
        session.add(DigestOutbox(subscription_id=sub, hospital_id=network.hospital_b, due_at=today_at(9, days=-1),
                                 status="queued", attempts=4, next_attempt_at=today_at(9, days=-1)))  # fmt: skip
    _, outcomes = run(world, today_at(9, 30), smtp=down)
    assert [o.status for o in outcomes] == ["failed"]
    assert [r.status for r in outbox(world, sub)] == ["failed", "sent"]
    page = call(world, subscriptions.outbox_page, actor(world, "admin"), status="failed")
    assert [r.status_words for r in page.rows] == ["Failed"] and page.rows[0].subscriber
    call(world, subscriptions.cancel, actor(world, "ha_b"), sub)


def test_a_subscriber_who_moved_hospital_or_left_gets_nothing_of_the_old_scope(world):
    inbox, network = world["inbox"], world["network"]
    moved = subscribe(world, "exec_a", kind="list_excel", list_key="appointments", filters={"days": 1},
                      send_time="10:00")  # fmt: skip
    left = subscribe(world, "comp_a", kind="alerts_summary", send_time="10:00")
    with Session(world["owner"]) as session, session.begin():
        session.execute(update(Profile).where(Profile.user_id == network.users["exec_a"])
                        .values(hospital_id=network.hospital_b))  # fmt: skip
        session.execute(update(Profile).where(Profile.user_id == network.users["comp_a"]).values(is_active=False))
    before = len(inbox.messages)
    try:
        _, outcomes = run(world, today_at(10, 1))
    finally:
        with Session(world["owner"]) as session, session.begin():
            session.execute(update(Profile).where(Profile.user_id == network.users["exec_a"])
                            .values(hospital_id=network.hospital_a))  # fmt: skip
            session.execute(update(Profile).where(Profile.user_id == network.users["comp_a"]).values(is_active=True))
    assert sorted(o.status for o in outcomes) == ["withheld", "withheld"] and len(inbox.messages) == before
    assert outbox(world, moved)[0].last_error == f"Not sent: they now work in the scope of {BETA}, not {ALPHA}."
    assert outbox(world, left)[0].last_error == "Not sent: the account is deactivated."
    # A hospital's administrator sees only their own; cancelling someone else's is refused.
    with pytest.raises(Exception, match="not yours to cancel"):
        call(world, subscriptions.cancel, actor(world, "ha_a"), moved)
    page = call(world, subscriptions.all_subscriptions, actor(world, "admin"), status="active")
    assert {r.id for r in page.rows} >= {moved, left}
    with pytest.raises(NotPermitted):
        call(world, subscriptions.all_subscriptions, actor(world, "ha_a"))
    done = call(world, subscriptions.cancel, actor(world, "exec_a"), moved)
    assert done.scope == ALPHA
    with pytest.raises(InvalidInput, match="already cancelled"):
        call(world, subscriptions.cancel, actor(world, "exec_a"), moved)
    call(world, subscriptions.cancel, actor(world, "admin"), left)


def test_the_command_runs_from_the_command_line_and_refuses_without_smtp_settings(world, monkeypatch, capsys):
    network = world["network"]
    subscribe(world, "ha_a", kind="list_excel", list_key="licences", send_time="11:00")
    smtp = world["smtp"]
    monkeypatch.setenv("DATABASE_URL", world["app_url"].render_as_string(hide_password=False))
    monkeypatch.delenv("HEALTHDASH_SMTP_HOST", raising=False)
    assert cli.main(["digests", "run", "--now", today_at(11, 2).replace(tzinfo=None).isoformat()]) == 2
    assert "HEALTHDASH_SMTP_HOST is not set" in capsys.readouterr().err
    for name, value in {"HOST": smtp.host, "PORT": str(smtp.port), "STARTTLS": "false", "FROM": smtp.sender}.items():
        monkeypatch.setenv(f"HEALTHDASH_SMTP_{name}", value)
    db_engine.get_engine.cache_clear()
    try:
        assert cli.main(["digests", "run", "--now", today_at(11, 2).replace(tzinfo=None).isoformat()]) == 0
    finally:
        db_engine.get_engine().dispose()
        db_engine.get_engine.cache_clear()
    printed = capsys.readouterr().out
    assert "1 newly queued, 1 tried, 1 sent" in printed and network.emails["ha_a"] in printed
    mail = [m for m in world["inbox"].to(network.emails["ha_a"]) if m["Subject"].startswith("Licences")]
    assert mail and next(mail[0].iter_attachments()).get_filename().endswith(".xlsx")
    assert lists.checked_filters("licences", {"band": "expired", "search": " HEF "}) == {"band": "expired",
                                                                                          "search": "HEF"}  # fmt: skip
