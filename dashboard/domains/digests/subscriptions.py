"""Digest subscriptions: subscribe, cancel, and the reads of the Digests page (yours, everyone's, the outbox).

Anyone with a staff role subscribes for themselves, to what their role reads (the board report: Financials'
readers; a list: that list's page's readers; the alerts: everyone), for their own scope: a network
administrator for the network or any hospital, everyone else for the scope they work in. Each write is one
transaction with its audit row. A network administrator sees every subscription and the outbox; others see
their own subscriptions and their own deliveries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.digests import lists
from dashboard.domains.digests.schedule import Schedule, next_due
from dashboard.platform import audit, permissions
from dashboard.platform.actors import ROLE_NAMES, Actor
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import EXPORT_LIMIT, Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.people import full_name
from dashboard.platform.scope import require_role, with_working_scope
from db.base import UserRole
from db.models import DigestOutbox, DigestSubscription, Hospital, Profile, User
from db.models.digests import CADENCES, DIGEST_KINDS

RESOURCE_TYPE = "digest_subscription"
KIND_WORDS = {"board_report": "Board report (PDF)", "list_excel": "A list (Excel)", "alerts_summary": "Alerts summary"}
CADENCE_WORDS = {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}
STATUS_WORDS = {"queued": "Waiting to send", "sent": "Sent", "failed": "Failed", "withheld": "Withheld"}
MOST_ACTIVE_PER_USER = 20  # more is a mailbox nobody reads; cancel some first
NETWORK_WORDS = "All hospitals"
_audit = audit.Recorder("data_access", RESOURCE_TYPE, impact="low")


def kind_area(kind: str, list_key: str | None) -> str:
    """The permission area whose readers may receive this digest."""
    if kind == "board_report":
        return "financials"
    if kind == "list_excel":
        return lists.digest_list(list_key).area
    return "overview"


def what_words(kind: str, list_key: str | None) -> str:
    if kind == "list_excel" and list_key in lists.LISTS:
        return f"{lists.LISTS[list_key].label} (Excel)"
    return KIND_WORDS.get(kind, kind)


def kinds_for(role: UserRole) -> dict[str, str]:
    """The digests a role may subscribe to: kind (or "list_excel:<key>") -> words, in form order."""
    offered = {}
    if role in permissions.readers("financials"):
        offered["board_report"] = KIND_WORDS["board_report"]
    for key, listed in lists.LISTS.items():
        if role in permissions.readers(listed.area):
            offered[f"list_excel:{key}"] = f"{listed.label} (Excel)"
    offered["alerts_summary"] = KIND_WORDS["alerts_summary"]
    return offered


def _checked_time(value: Any) -> str:
    text = value.strftime("%H:%M") if hasattr(value, "strftime") else value
    if isinstance(text, str):
        parts = text.strip().split(":")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            hour, minute = int(parts[0]), int(parts[1])
            if 0 <= hour <= 23 and 0 <= minute <= 59:
                return f"{hour:02d}:{minute:02d}"
    raise InvalidInput("Give the time to send it as hours and minutes, Lagos time (for example 07:00).")


def _whole(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        return -1
    try:
        return int(value)
    except ValueError:
        return -1


@dataclass(frozen=True)
class Subscribed:
    id: str
    what: str
    scope: str
    when: str


def subscribe(
    db: Session, actor: Actor, *, kind: Any, hospital_id: Any = None, list_key: Any = None, filters: Any = None,
    cadence: Any = "daily", send_time: Any = "07:00", weekday: Any = None, monthday: Any = None,
) -> Subscribed:  # fmt: skip
    """A new subscription of the actor's own, for a scope their role may work in; refused in a sentence."""
    if actor.role not in permissions.writers("digests"):
        raise NotPermitted("Your role cannot subscribe to digests.")
    if kind not in DIGEST_KINDS:
        raise InvalidInput("Pick what to send: the board report, a list as Excel, or the alerts summary.")
    if kind == "list_excel":
        stored_filters = lists.checked_filters(list_key, filters)
    else:
        list_key, stored_filters = None, {}
    area = kind_area(kind, list_key)
    if actor.role not in permissions.readers(area):
        raise NotPermitted(f"Your role ({ROLE_NAMES[actor.role]}) cannot receive {what_words(kind, list_key).lower()}.")
    if hospital_id is not None and not usable_id(hospital_id):
        raise NotFound("That hospital no longer exists.")
    # None: the network for a network administrator, one's own hospital for everyone else; another is refused
    # (and audited) unless the actor is a network administrator.
    wanted = hospital_id or (None if actor.role is UserRole.ADMIN else actor.hospital_id)
    scoped = with_working_scope(db, actor, wanted)
    if cadence not in CADENCES:
        raise InvalidInput("Pick how often: daily, weekly or monthly.")
    at = _checked_time(send_time)
    day_of_week, day_of_month = _whole(weekday), _whole(monthday)
    if cadence == "weekly" and (day_of_week is None or not 0 <= day_of_week <= 6):
        raise InvalidInput("Pick the day of the week to send it on.")
    if cadence == "monthly" and (day_of_month is None or not 1 <= day_of_month <= 28):
        raise InvalidInput("Pick a day of the month from the 1st to the 28th (every month has those).")
    active = db.scalar(select(func.count()).select_from(DigestSubscription).where(
        DigestSubscription.user_id == actor.user_id, DigestSubscription.active))  # fmt: skip
    if active >= MOST_ACTIVE_PER_USER:
        raise InvalidInput(f"You already have {MOST_ACTIVE_PER_USER} digests; cancel one you no longer read first.")
    row = DigestSubscription(
        user_id=actor.user_id, hospital_id=scoped.hospital_id, kind=kind, list_key=list_key, filters=stored_filters,
        cadence=cadence, send_time=at, weekday=day_of_week if cadence == "weekly" else None,
        monthday=day_of_month if cadence == "monthly" else None,
    )  # fmt: skip
    db.add(row)
    db.flush()
    scope = _scope_name(db, scoped.hospital_id)
    when = Schedule(cadence, _time(at), row.weekday, row.monthday).words()
    _audit(db, actor, "digest_subscribed", row.id, hospital=scoped.hospital_id,
           new={"kind": kind, "list": list_key, "filters": stored_filters, "scope": scope,
                "schedule": when})  # fmt: skip
    return Subscribed(row.id, what_words(kind, list_key), scope, when)


def cancel(db: Session, actor: Actor, subscription_id: Any) -> Subscribed:
    """Stop a subscription: the subscriber's own, or anyone's for a network administrator. Its history stays."""
    row = None
    if usable_id(subscription_id):
        row = db.scalars(select(DigestSubscription).where(DigestSubscription.id == subscription_id)
                         .with_for_update()).first()  # fmt: skip
    if row is None or (row.user_id != actor.user_id and actor.role is not UserRole.ADMIN):
        raise NotFound("That digest no longer exists, or is not yours to cancel.")
    scope = _scope_name(db, row.hospital_id)
    words = Subscribed(row.id, what_words(row.kind, row.list_key), scope, _schedule(row).words())
    if not row.active:
        raise InvalidInput(f"The {words.what.lower()} digest for {scope} was already cancelled.")
    row.active, row.cancelled_at, row.cancelled_by = False, datetime.now(UTC), actor.user_id
    db.flush()
    _audit(db, actor, "digest_cancelled", row.id, hospital=row.hospital_id,
           old={"active": True}, new={"active": False, "subscriber": row.user_id})  # fmt: skip
    return words


def _time(text: str):
    return datetime.strptime(text, "%H:%M").time()


def _schedule(row) -> Schedule:
    return Schedule(row.cadence, _time(row.send_time), row.weekday, row.monthday)


def _scope_name(db: Session, hospital_id: str | None) -> str:
    if hospital_id is None:
        return NETWORK_WORDS
    return db.scalar(select(Hospital.name).where(Hospital.id == hospital_id)) or "A hospital no longer listed"


@dataclass(frozen=True)
class SubscriptionRow:
    id: str
    user_id: str
    subscriber: str
    email: str
    kind: str
    list_key: str | None
    filters: dict
    hospital_id: str | None
    scope: str
    cadence: str
    send_time: str
    weekday: int | None
    monthday: int | None
    active: bool
    created_at: datetime
    cancelled_at: datetime | None
    last_sent_at: datetime | None
    last_status: str | None

    @property
    def what(self) -> str:
        return what_words(self.kind, self.list_key)

    @property
    def filters_words(self) -> str:
        if self.kind != "list_excel" or self.list_key not in lists.LISTS:
            return ""
        return lists.LISTS[self.list_key].words(self.filters or {})

    @property
    def schedule(self) -> Schedule:
        return _schedule(self)

    @property
    def when(self) -> str:
        return self.schedule.words()

    def next_at(self, now: datetime) -> datetime | None:
        return next_due(self.schedule, now) if self.active else None


def _subscription_select() -> Select:
    last = (
        select(DigestOutbox.subscription_id, func.max(DigestOutbox.sent_at).label("last_sent_at"),
               func.max(DigestOutbox.due_at).label("last_due_at"))
        .group_by(DigestOutbox.subscription_id).subquery()
    )  # fmt: skip
    last_status = (
        select(DigestOutbox.status).where(DigestOutbox.subscription_id == DigestSubscription.id)
        .order_by(DigestOutbox.due_at.desc()).limit(1).scalar_subquery()
    )  # fmt: skip
    return (
        select(
            DigestSubscription.id, DigestSubscription.user_id, full_name(), User.email, DigestSubscription.kind,
            DigestSubscription.list_key, DigestSubscription.filters, DigestSubscription.hospital_id,
            func.coalesce(Hospital.name, NETWORK_WORDS), DigestSubscription.cadence, DigestSubscription.send_time,
            DigestSubscription.weekday, DigestSubscription.monthday, DigestSubscription.active,
            DigestSubscription.created_at, DigestSubscription.cancelled_at, last.c.last_sent_at, last_status,
        )
        .join(User, User.id == DigestSubscription.user_id)
        .join(Profile, Profile.user_id == User.id, isouter=True)
        .join(Hospital, Hospital.id == DigestSubscription.hospital_id, isouter=True)
        .join(last, last.c.subscription_id == DigestSubscription.id, isouter=True)
    )  # fmt: skip


@permissions.reads("digests")
def my_subscriptions(db: Session, actor: Actor) -> list[SubscriptionRow]:
    """The actor's own subscriptions in their scope, active first, newest first (at most 20 are active)."""
    stmt = _subscription_select().where(DigestSubscription.user_id == actor.user_id)
    stmt = stmt.order_by(DigestSubscription.active.desc(), DigestSubscription.created_at.desc()).limit(60)
    return [SubscriptionRow(*r) for r in db.execute(stmt).all()]


def _everyone(actor: Actor, search: str, status: str | None) -> Select:
    stmt = _subscription_select()
    if actor.hospital_id is not None:
        stmt = stmt.where(DigestSubscription.hospital_id == actor.hospital_id)
    if status == "active":
        stmt = stmt.where(DigestSubscription.active)
    elif status == "cancelled":
        stmt = stmt.where(~DigestSubscription.active)
    text = (search if isinstance(search, str) else "").replace("\x00", "").strip()
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(full_name().ilike(pattern), User.email.ilike(pattern), Hospital.name.ilike(pattern)))
    return stmt.order_by(DigestSubscription.active.desc(), DigestSubscription.created_at.desc(),
                         DigestSubscription.id)  # fmt: skip


def _require_admin(db: Session, actor: Actor, what: str) -> None:
    require_role(db, actor, frozenset({UserRole.ADMIN}), what)


@permissions.reads(frozenset({UserRole.ADMIN}))
def all_subscriptions(
    db: Session, actor: Actor, *, search: str = "", status: str | None = "active", page: int = 1, page_size: int = 25
) -> Page[SubscriptionRow]:
    """Every subscription in the administrator's working scope (a network administrator's only)."""
    _require_admin(db, actor, "see everyone's digests")
    rows, total, page, page_size = fetch_page(db, _everyone(actor, search, status), page=page, page_size=page_size)
    return Page([SubscriptionRow(*r) for r in rows], total, page, page_size)


def export_subscriptions(
    db: Session, actor: Actor, *, search: str = "", status: str | None = "active"
) -> tuple[list[SubscriptionRow], bool]:
    _require_admin(db, actor, "export everyone's digests")
    rows, truncated = fetch_capped(db, _everyone(actor, search, status))
    audit.record_export(db, actor, action_type="digest_subscriptions_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": search or None, "status": status}, rows=len(rows))  # fmt: skip
    return [SubscriptionRow(*r) for r in rows], truncated


@dataclass(frozen=True)
class OutboxRow:
    id: str
    due_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    recipient: str | None
    subject: str | None
    size_bytes: int | None
    subscriber: str
    kind: str
    list_key: str | None
    scope: str

    @property
    def what(self) -> str:
        return what_words(self.kind, self.list_key)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


def _outbox(actor: Actor, search: str, status: str | None, own_only: bool) -> Select:
    stmt = (
        select(DigestOutbox.id, DigestOutbox.due_at, DigestOutbox.status, DigestOutbox.attempts,
               DigestOutbox.next_attempt_at, DigestOutbox.last_error, DigestOutbox.sent_at, DigestOutbox.recipient,
               DigestOutbox.subject, DigestOutbox.size_bytes, full_name(), DigestSubscription.kind,
               DigestSubscription.list_key, func.coalesce(Hospital.name, NETWORK_WORDS))
        .join(DigestSubscription, DigestSubscription.id == DigestOutbox.subscription_id)
        .join(User, User.id == DigestSubscription.user_id)
        .join(Profile, Profile.user_id == User.id, isouter=True)
        .join(Hospital, Hospital.id == DigestSubscription.hospital_id, isouter=True)
    )  # fmt: skip
    if own_only:
        stmt = stmt.where(DigestSubscription.user_id == actor.user_id)
    if actor.hospital_id is not None:
        stmt = stmt.where(DigestOutbox.hospital_id == actor.hospital_id)
    if status in STATUS_WORDS:
        stmt = stmt.where(DigestOutbox.status == status)
    text = (search if isinstance(search, str) else "").replace("\x00", "").strip()
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(full_name().ilike(pattern), DigestOutbox.recipient.ilike(pattern),
                              DigestOutbox.last_error.ilike(pattern)))  # fmt: skip
    return stmt.order_by(DigestOutbox.due_at.desc(), DigestOutbox.id)


@permissions.reads("digests")
def outbox_page(
    db: Session, actor: Actor, *, search: str = "", status: str | None = None, page: int = 1, page_size: int = 25
) -> Page[OutboxRow]:
    """Deliveries, newest first: every one in scope for a network administrator, one's own for anyone else."""
    stmt = _outbox(actor, search, status, own_only=actor.role is not UserRole.ADMIN)
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([OutboxRow(*r) for r in rows], total, page, page_size)


def export_outbox(
    db: Session, actor: Actor, *, search: str = "", status: str | None = None
) -> tuple[list[OutboxRow], bool]:
    rows, truncated = fetch_capped(db, _outbox(actor, search, status, own_only=actor.role is not UserRole.ADMIN),
                                   EXPORT_LIMIT)  # fmt: skip
    audit.record_export(db, actor, action_type="digest_outbox_exported", resource_type="digest_outbox",
                        filters={"search": search or None, "status": status}, rows=len(rows))  # fmt: skip
    return [OutboxRow(*r) for r in rows], truncated


@dataclass(frozen=True)
class DigestSummary:
    active: int  # subscriptions active (the actor's own, or everyone's in scope for a network administrator)
    sent_7_days: int
    failed_7_days: int  # failed after the last attempt, or withheld
    waiting: int  # queued: due and not sent yet (a retry among them)


@permissions.reads("digests")
def digest_summary(db: Session, actor: Actor, *, now: datetime | None = None) -> DigestSummary:
    """The Digests page's cards: one query each over the subscriptions and the outbox (aggregated in SQL)."""
    now = now or datetime.now(UTC)
    own = actor.role is not UserRole.ADMIN
    subs = select(func.count()).select_from(DigestSubscription).where(DigestSubscription.active)
    if own:
        subs = subs.where(DigestSubscription.user_id == actor.user_id)
    if actor.hospital_id is not None:
        subs = subs.where(DigestSubscription.hospital_id == actor.hospital_id)
    since = now - timedelta(days=7)
    recent = and_(DigestOutbox.due_at >= since, DigestOutbox.due_at <= now)
    counts = (
        select(func.count().filter(and_(DigestOutbox.status == "sent", recent)),
               func.count().filter(and_(DigestOutbox.status.in_(("failed", "withheld")), recent)),
               func.count().filter(DigestOutbox.status == "queued"))
        .select_from(DigestOutbox).join(DigestSubscription, DigestSubscription.id == DigestOutbox.subscription_id)
    )  # fmt: skip
    if own:
        counts = counts.where(DigestSubscription.user_id == actor.user_id)
    if actor.hospital_id is not None:
        counts = counts.where(DigestOutbox.hospital_id == actor.hospital_id)
    sent, failed, waiting = db.execute(counts).one()
    return DigestSummary(db.scalar(subs) or 0, sent, failed, waiting)


@dataclass(frozen=True)
class DayDeliveries:
    day: datetime
    sent: int
    failed: int


@permissions.reads("digests")
def deliveries_by_day(db: Session, actor: Actor, *, now: datetime | None = None, days: int = 30) -> list[DayDeliveries]:
    """Digests sent and failed (or withheld) per Lagos day over the last `days` days, for the page's chart."""
    now = now or datetime.now(UTC)
    day = func.date_trunc("day", func.timezone("Africa/Lagos", DigestOutbox.due_at))
    stmt = (
        select(day, func.count().filter(DigestOutbox.status == "sent"),
               func.sum(case((DigestOutbox.status.in_(("failed", "withheld")), 1), else_=0)))
        .join(DigestSubscription, DigestSubscription.id == DigestOutbox.subscription_id)
        .where(DigestOutbox.due_at >= now - timedelta(days=days), DigestOutbox.due_at <= now)
        .group_by(day).order_by(day)
    )  # fmt: skip
    if actor.role is not UserRole.ADMIN:
        stmt = stmt.where(DigestSubscription.user_id == actor.user_id)
    if actor.hospital_id is not None:
        stmt = stmt.where(DigestOutbox.hospital_id == actor.hospital_id)
    return [DayDeliveries(d, int(s or 0), int(f or 0)) for d, s, f in db.execute(stmt).all()]
