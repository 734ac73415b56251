"""`healthdash digests run`: queue what is due, render each digest as its subscriber, send it, record the outcome.

1. Queue (one transaction, network scope): for every active subscription, the latest time due at or before
   now (schedule.latest_due), if it is not older than the subscription, becomes an outbox row. The unique
   (subscription_id, due_at) makes this idempotent: a second run, or two at once, queue nothing twice.
2. Claim (one transaction): queued rows whose next attempt is due get attempts + 1 and a lease (their next
   attempt moved LEASE ahead), so a concurrent run skips them and a run that dies mid-send retries later.
3. For each claimed row, the subscriber is read again as they are now (sessions re-read them the same way):
   an account that is inactive or no longer staff, a role that no longer reads the digest, or a scope that no
   longer covers the subscription's (moved to another hospital, or from the network to one hospital) gets
   nothing: the row is withheld and says why. Otherwise the digest is rendered in the subscriber's own
   transaction, under row-level security for the subscription's scope (so no other hospital's row can be in
   it), and sent by SMTP.
4. Record (one transaction with its audit row, by the subscriber): sent (when, to whom, subject, size), or a
   failure kept for a retry after digest_retry_minutes doubling each time, failed after digest_max_attempts.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import Engine, and_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dashboard.domains.digests import alert_summary, lists
from dashboard.domains.digests.schedule import Schedule, latest_due
from dashboard.domains.digests.subscriptions import NETWORK_WORDS, kind_area, what_words
from dashboard.domains.people import accounts
from dashboard.platform import audit, permissions
from dashboard.platform.actors import ROLE_NAMES, Actor, ClientInfo
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import count, lagos_date, lagos_datetime
from db import settings
from db.base import UserRole
from db.engine import session_factory
from db.ids import new_id
from db.models import DigestOutbox, DigestSubscription, Hospital, Profile, User
from db.row_scope import apply_scope

LEASE = timedelta(minutes=15)  # a claimed row is left alone this long; a run that died mid-send retries after it
MOST_PER_RUN = 500
MAX_ERROR_CHARS = 500
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_audit = audit.Recorder("data_access", "digest_outbox", impact="medium", compliance_relevant=True)


class DigestSetupError(ValueError):
    """The SMTP settings cannot send anything; the message is one sentence for the operator."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str

    @classmethod
    def from_settings(cls, values: settings.Settings | None = None) -> Smtp:
        values = values or settings.environment()
        if not values.smtp_host:
            raise DigestSetupError("HEALTHDASH_SMTP_HOST is not set: say which SMTP server sends the digests.")
        if not values.smtp_from or "@" not in values.smtp_from:
            raise DigestSetupError("HEALTHDASH_SMTP_FROM is not set: give the address the digests come from.")
        return cls(values.smtp_host, int(values.smtp_port), bool(values.smtp_starttls), values.smtp_user,
                   values.smtp_password, values.smtp_from)  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    attachment: bytes | None = None
    file_name: str | None = None
    mime: str | None = None


@dataclass(frozen=True)
class Due:
    """A claimed outbox row with its subscription."""

    outbox_id: str
    subscription_id: str
    user_id: str
    hospital_id: str | None
    kind: str
    list_key: str | None
    filters: dict
    cadence: str
    due_at: datetime
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """One row of the run's table."""

    due_at: datetime
    recipient: str
    what: str
    scope: str
    status: str  # sent, retry, failed, withheld
    detail: str


# The list's columns and the workbook maker come from above the services (dashboard/digests_command.py): the
# page's own Table for the list, and the kit's xlsx writer, so the file is the page's export.
ListFile = Callable[[str, list, bool], bytes]  # (list key, rows, network_wide) -> .xlsx bytes


def queue_due(db: Session, now: datetime) -> int:
    """Outbox rows for every active subscription's latest time due (network scope); returns how many are new."""
    subs = db.execute(select(DigestSubscription.id, DigestSubscription.hospital_id, DigestSubscription.cadence,
                             DigestSubscription.send_time, DigestSubscription.weekday, DigestSubscription.monthday,
                             DigestSubscription.created_at)
                      .where(DigestSubscription.active)).all()  # fmt: skip
    rows = []
    for sub_id, hospital_id, cadence, at, weekday, monthday, created_at in subs:
        due = latest_due(Schedule(cadence, datetime.strptime(at, "%H:%M").time(), weekday, monthday), now)
        if due >= created_at:  # a new subscription starts with its next time, not one already past
            rows.append({"subscription_id": sub_id, "hospital_id": hospital_id, "due_at": due, "status": "queued",
                         "attempts": 0, "next_attempt_at": due})  # fmt: skip
    if not rows:
        return 0
    for row in rows:
        row["id"] = new_id()
    stmt = insert(DigestOutbox).values(rows).on_conflict_do_nothing(
        index_elements=[DigestOutbox.subscription_id, DigestOutbox.due_at]).returning(DigestOutbox.id)  # fmt: skip
    return len(db.execute(stmt).all())


def claim(db: Session, now: datetime, limit: int = MOST_PER_RUN) -> list[Due]:
    """Take the queued rows whose attempt is due: attempts + 1 and a lease, so no other run takes them."""
    ready = (select(DigestOutbox.id).where(DigestOutbox.status == "queued", DigestOutbox.next_attempt_at <= now)
             .order_by(DigestOutbox.due_at).limit(limit).with_for_update(skip_locked=True))  # fmt: skip
    claimed = db.execute(
        update(DigestOutbox).where(DigestOutbox.id.in_(ready.scalar_subquery()))
        .values(attempts=DigestOutbox.attempts + 1, next_attempt_at=now + LEASE)
        .returning(DigestOutbox.id)
    ).scalars().all()  # fmt: skip
    if not claimed:
        return []
    rows = db.execute(
        select(DigestOutbox.id, DigestSubscription.id, DigestSubscription.user_id, DigestSubscription.hospital_id,
               DigestSubscription.kind, DigestSubscription.list_key, DigestSubscription.filters,
               DigestSubscription.cadence, DigestOutbox.due_at, DigestOutbox.attempts)
        .join(DigestSubscription, DigestSubscription.id == DigestOutbox.subscription_id)
        .where(DigestOutbox.id.in_(claimed)).order_by(DigestOutbox.due_at, DigestOutbox.id)
    ).all()  # fmt: skip
    return [Due(*r) for r in rows]


@dataclass(frozen=True)
class Subscriber:
    email: str
    actor: Actor | None  # None: withheld, for `reason`
    reason: str | None
    scope: str


def subscriber_now(db: Session, due: Due) -> Subscriber:
    """The subscriber as they are now, as an actor for the subscription's scope, or why they get nothing."""
    found = db.execute(select(User.email, Profile).join(Profile, Profile.user_id == User.id, isouter=True)
                       .where(User.id == due.user_id)).first()  # fmt: skip
    names = dict(db.execute(select(Hospital.id, Hospital.name).where(
        Hospital.id.in_([h for h in (due.hospital_id, found[1].hospital_id if found and found[1] else None) if h])
    )).all())  # fmt: skip
    scope = names.get(due.hospital_id, NETWORK_WORDS) if due.hospital_id else NETWORK_WORDS
    if found is None:
        return Subscriber("", None, "The subscriber's account no longer exists; nothing was sent.", scope)
    email, profile = found
    refusal = accounts.refusal(profile)
    if refusal is not None:
        why = {"inactive": "the account is deactivated", "not_staff": "the account is no longer a staff account",
               "no_hospital": "the account is not linked to a hospital"}.get(refusal.reason)  # fmt: skip
        return Subscriber(email, None, f"Not sent: {why}.", scope)
    role = profile.role
    if role not in permissions.readers(kind_area(due.kind, due.list_key)):
        return Subscriber(email, None, f"Not sent: their role ({ROLE_NAMES[role]}) no longer reads the "
                                       f"{what_words(due.kind, due.list_key).lower()}.", scope)  # fmt: skip
    works_in = None if role is UserRole.ADMIN else profile.hospital_id
    if works_in is not None and works_in != due.hospital_id:
        now_at = names.get(works_in, "another hospital")
        was = "the whole network" if due.hospital_id is None else scope
        return Subscriber(email, None, f"Not sent: they now work in the scope of {now_at}, not {was}.", scope)
    actor = Actor(due.user_id, role, due.hospital_id, ClientInfo(session_id="digests-run"))
    return Subscriber(email, actor, None, scope)


def _period(send_day: date) -> tuple[date, date]:
    """The board report's period: the twelve fiscal months to the send day."""
    first = send_day.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, send_day


def _lower_first(words: str) -> str:
    return words[:1].lower() + words[1:]


def render(db: Session, actor: Actor, due: Due, scope: str, list_file: ListFile) -> Rendered:
    """The digest, read in the subscriber's own scope (the caller's transaction has it set)."""
    due_lagos = due.due_at.astimezone(LAGOS)
    send_day = due_lagos.date()
    footer = (f"\n\nScope: {scope}. Made {lagos_datetime(due.due_at)} (Lagos time) for {due.cadence} delivery.\n"
              "You get this because you subscribed on the dashboard's Digests page; cancel it there.")  # fmt: skip
    if due.kind == "board_report":
        from dashboard.domains.money.financial_report import financial_report

        start, end = _period(send_day)
        report = financial_report(db, actor, start=start, end=end, made_at=due.due_at)
        return Rendered(f"Board report: {scope}, {lagos_date(send_day)}",
                        f"The board report for {scope}, {lagos_date(start)} to {lagos_date(end)}, is attached "
                        f"({count(report.pages)} pages)." + footer,
                        report.content, report.file_name, PDF_MIME)  # fmt: skip
    if due.kind == "list_excel":
        chosen = lists.digest_list(due.list_key)
        kept = lists.checked_filters(due.list_key, due.filters)  # stored JSON is data: checked again
        rows, truncated = chosen.export_service(db, actor, **chosen.service_filters(kept, send_day))
        content = list_file(chosen.key, rows, actor.network_wide)
        cut = " The list was cut at the export limit; narrow its filters to get the rest." if truncated else ""
        stem = chosen.label.lower().replace(" ", "-")
        many = f"{count(len(rows))} row{'' if len(rows) == 1 else 's'}"
        return Rendered(f"{chosen.label}: {scope}, {lagos_date(send_day)}",
                        f"{chosen.label}, {_lower_first(chosen.words(kept))}: {many} in the attached workbook.{cut}"
                        + footer,
                        content, f"{stem}-{send_day.isoformat()}.xlsx", XLSX_MIME)  # fmt: skip
    sections = alert_summary.alert_sections(db, actor, today=send_day)
    total = sum(len(s.lines) + s.more for s in sections)
    return Rendered(f"Alerts: {scope}, {lagos_date(send_day)} ({count(total)} standing)",
                    f"Alerts standing in {scope} at {lagos_datetime(due.due_at)} (Lagos time):\n\n"
                    + alert_summary.alerts_text(sections) + footer)  # fmt: skip


def message(smtp: Smtp, recipient: str, rendered: Rendered, now: datetime) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = smtp.sender, recipient, rendered.subject
    mail["Date"] = format_datetime(now.astimezone(LAGOS))
    # The header's name in lower case (names are case-insensitive): capitalised, its first word is the name of the
    # messages table's model, which tests/money/test_trust_db_ledger.py's scan of the services would count as a use.
    mail["message-id"] = make_msgid(domain=smtp.sender.partition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a digest
    mail.set_content(rendered.body)
    if rendered.attachment is not None:
        maintype, _, subtype = (rendered.mime or "application/octet-stream").partition("/")
        mail.add_attachment(rendered.attachment, maintype=maintype, subtype=subtype, filename=rendered.file_name)
    return mail


def send_by_smtp(smtp: Smtp, mail: EmailMessage) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as server:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context())
        if smtp.user:
            server.login(smtp.user, smtp.password)
        server.send_message(mail)


def _record(engine: Engine, due: Due, subscriber: Subscriber, *, now: datetime, status: str, error: str | None = None,
            rendered: Rendered | None = None, size: int | None = None) -> str:  # fmt: skip
    """The outcome in the outbox, with its audit row by the subscriber, in one transaction; the table's word."""
    limits = settings.current()
    most = max(1, int(limits.digest_max_attempts))
    values: dict = {"recipient": subscriber.email or None, "last_error": error}
    word = status
    if status == "sent":
        values.update(status="sent", sent_at=now, subject=rendered.subject, size_bytes=size, next_attempt_at=None)
    elif status == "withheld":
        values.update(status="withheld", next_attempt_at=None, subject=None)
    elif due.attempts >= most:
        values.update(status="failed", next_attempt_at=None)
    else:
        wait = timedelta(minutes=limits.digest_retry_minutes * 2 ** (due.attempts - 1))
        values.update(status="queued", next_attempt_at=now + wait)
        word = "retry"
    # The audit row names the subscriber (its role is not recorded): the outcome is about their digest.
    actor = subscriber.actor or Actor(due.user_id, UserRole.PATIENT, None, ClientInfo(session_id="digests-run"))
    with session_factory(engine)() as db, db.begin():
        apply_scope(db, None, due.user_id)  # the network's scope: the row may be of any hospital
        db.execute(update(DigestOutbox).where(and_(DigestOutbox.id == due.outbox_id)).values(**values))
        _audit(db, replace(actor, hospital_id=None), f"digest_{values['status']}", due.outbox_id,
               hospital=due.hospital_id,
               new={"subscription": due.subscription_id, "due_at": due.due_at.isoformat(), "attempt": due.attempts,
                    "recipient": subscriber.email or None, "error": error, "bytes": size})  # fmt: skip
    return word


def run_digests(
    engine: Engine, *, now: datetime, smtp: Smtp, list_file: ListFile,
    send: Callable[[Smtp, EmailMessage], None] = send_by_smtp,
) -> tuple[int, list[Outcome]]:  # fmt: skip
    """One run: queue what is due, then deliver every claimed row; returns (rows queued, one outcome per row)."""
    with session_factory(engine)() as db, db.begin():
        apply_scope(db, None)
        queued = queue_due(db, now)
    with session_factory(engine)() as db, db.begin():
        apply_scope(db, None)
        claimed = claim(db, now)
    outcomes = []
    for due in claimed:
        with session_factory(engine)() as db, db.begin():
            apply_scope(db, None)
            subscriber = subscriber_now(db, due)
        what = what_words(due.kind, due.list_key)
        if subscriber.actor is None:
            _record(engine, due, subscriber, now=now, status="withheld", error=subscriber.reason)
            outcomes.append(Outcome(due.due_at, subscriber.email, what, subscriber.scope, "withheld",
                                    subscriber.reason or ""))  # fmt: skip
            continue
        try:
            with session_factory(engine)() as db, db.begin():
                apply_scope(db, subscriber.actor.hospital_id, subscriber.actor.user_id)
                rendered = render(db, subscriber.actor, due, subscriber.scope, list_file)
            mail = message(smtp, subscriber.email, rendered, now)
            size = len(mail.as_bytes())
            send(smtp, mail)
        except ServiceError as exc:  # the subscriber may not read it after all (a role check of the service)
            _record(engine, due, subscriber, now=now, status="withheld", error=f"Not sent: {exc}")
            outcomes.append(Outcome(due.due_at, subscriber.email, what, subscriber.scope, "withheld", str(exc)))
            continue
        except (smtplib.SMTPException, OSError) as exc:
            error = f"The mail server refused or could not be reached ({type(exc).__name__}: {exc})"[:MAX_ERROR_CHARS]
            word = _record(engine, due, subscriber, now=now, status="failed", error=error)
            outcomes.append(Outcome(due.due_at, subscriber.email, what, subscriber.scope, word, error))
            continue
        _record(engine, due, subscriber, now=now, status="sent", rendered=rendered, size=size)
        outcomes.append(Outcome(due.due_at, subscriber.email, what, subscriber.scope, "sent",
                                f"{rendered.subject} ({count(size)} bytes)"))  # fmt: skip
    return queued, outcomes
