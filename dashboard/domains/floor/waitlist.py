"""The live waitlist: the queue in call order, calling the next patient, and the waits behind the alerts.

Two administrators may press "Call next" on the same queue at the same moment, so `call_next` takes
the top entry with `FOR UPDATE SKIP LOCKED`: each gets a different patient, none is called twice,
and nobody waits for the other's click. The other commands lock their row, then check its status.

Waits are measured by the database clock (`now()`), so every figure of one call agrees. A waiting
patient's wait runs until now; a called patient's wait stopped when they were called.

An entry whose arrival (`created_at`) is after now has not happened yet (a clock or a client's
error): no live list, count or median takes it, and call-next never calls it. `future_arrivals`
counts them so the page can say they are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, Select, case, cast, func, select
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.scope import limit_to_scope, require_in_scope, require_role
from dashboard.platform.settings import WAIT_PRIORITIES, Settings, current
from db.models import Hospital, PatientWaitlist, Profile, User
from db.vocab import WAITLIST_PRIORITIES

LAGOS = ZoneInfo("Africa/Lagos")
READERS = permissions.readers("waitlist")
WRITERS = permissions.writers("waitlist")
AUDIT_CATEGORY = "waitlist"
RESOURCE_TYPE = "patient_waitlist"
LIVE_STATUSES = ("waiting", "called", "in_progress")
QUEUE_LIMIT = 500  # a live queue far longer than a screen; the network's is a few hundred at its busiest
MAX_REASON_LENGTH = 200
MAX_DEPARTMENT_LENGTH = 200
# Histogram buckets of a wait, in minutes: [lower, upper); the last has no upper end.
WAIT_BUCKETS: tuple[tuple[float, float | None], ...] = ((0, 15), (15, 30), (30, 60), (60, 120), (120, None))
# How a status reads after "<name> is ...", for refusals.
STATUS_WORDS = {
    "waiting": "still waiting",
    "called": "already called",
    "in_progress": "already being seen",
    "completed": "already completed",
    "cancelled": "cancelled",
    "no_show": "recorded as not having shown up",
}


@dataclass(frozen=True)
class QueueEntry:
    id: str
    hospital_id: str
    hospital_name: str
    patient_name: str
    department: str
    reason: str
    priority: str
    status: str
    waiting: bool  # False for a patient already called or being seen (the page lists those apart)
    arrived_at: datetime
    called_at: datetime | None
    waited_minutes: float  # until now while waiting; until the call once called
    target_minutes: float  # settings.wait_target(priority).raise_at
    over_target: bool  # waited_minutes at or past the target: the alert's raise level
    minutes_over_target: float  # waited_minutes - target_minutes; negative while within the target
    # Past the alert's clear level but not yet at its target: an alert raised earlier still stands
    # here (hysteresis), so the page keeps it with Level.breached(waited, was_raised=True).
    near_target: bool


@dataclass(frozen=True)
class DepartmentQueue:
    department: str
    priority: str
    waiting: int
    longest_wait_minutes: float
    over_target: int


@dataclass(frozen=True)
class WaitingNow:
    """The queue's headline figures for a scope: the Waitlist's cards and the Overview's read this one source."""

    waiting: int  # arrived and not yet called
    over_target: int  # of them, waiting at or past their priority's target
    longest_wait_minutes: float | None  # None when nobody waits


@dataclass(frozen=True)
class DepartmentWaiting:
    department: str
    waiting: int


@dataclass(frozen=True)
class CallOptions:
    """What the call-next control offers: departments with someone waiting, and the one call-next would take first."""

    departments: list[DepartmentWaiting]  # by name
    next_department: str | None  # the department of the patient who is next; None when nobody waits


@dataclass(frozen=True)
class WaitBucket:
    priority: str
    label: str  # "0–15 min", ..., "120+ min"
    lower_minutes: float
    upper_minutes: float | None  # None: no upper end
    patients: int


@dataclass(frozen=True)
class MedianWaits:
    day: date
    today_minutes: float | None  # None when nobody was called today
    today_count: int
    previous_7_days_minutes: float | None  # the 7 Lagos days before `day`
    previous_7_days_count: int


# --- SQL building blocks (also used by the overview) ---------------------------------------------


def wait_minutes() -> ColumnElement:
    """Minutes an entry has waited: until it was called, or until now while it still waits."""
    waited = func.coalesce(PatientWaitlist.called_at, func.now()) - PatientWaitlist.created_at
    return cast(func.extract("epoch", waited), Float) / 60.0


def arrived() -> ColumnElement:
    """The entry's arrival is not after now: only these are in a live list, a count or a median."""
    return PatientWaitlist.created_at <= func.now()


def target_minutes(values: Settings) -> ColumnElement:
    """The wait target of each entry's priority, from the settings (bound as parameters)."""
    return case(
        {p: values.wait_target(p).raise_at for p in WAIT_PRIORITIES},
        value=PatientWaitlist.priority,
        else_=values.wait_target("medium").raise_at,
    )


def priority_rank() -> ColumnElement:
    """0 for urgent up to 3 for low: the order in which call-next takes them."""
    return case({p: rank for rank, p in enumerate(WAIT_PRIORITIES)}, value=PatientWaitlist.priority, else_=99)


def lagos_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LAGOS)


def median_wait_columns(today: date) -> tuple[ColumnElement, ...]:
    """(median today, count today, median of the 7 days before, count of those days), over called entries."""
    # A call or an arrival after now has not happened: it is no one's wait yet.
    happened = arrived() & (PatientWaitlist.called_at <= func.now())
    called_today = (
        (PatientWaitlist.called_at >= lagos_midnight(today))
        & (PatientWaitlist.called_at < lagos_midnight(today + timedelta(days=1)))
        & happened
    )
    called_before = (
        (PatientWaitlist.called_at >= lagos_midnight(today - timedelta(days=7)))
        & (PatientWaitlist.called_at < lagos_midnight(today))
        & happened
    )
    waited = wait_minutes()
    return (
        func.percentile_cont(0.5).within_group(waited).filter(called_today),
        func.count().filter(called_today),
        func.percentile_cont(0.5).within_group(waited).filter(called_before),
        func.count().filter(called_before),
    )


def _patient_name() -> ColumnElement:
    return func.coalesce(func.nullif(func.concat_ws(" ", Profile.first_name, Profile.last_name), ""), "(no name)")


def _entry_query() -> Select:
    waited = wait_minutes()
    return (
        select(
            PatientWaitlist.id,
            PatientWaitlist.hospital_id,
            Hospital.name,
            _patient_name(),
            PatientWaitlist.department,
            PatientWaitlist.reason,
            PatientWaitlist.priority,
            PatientWaitlist.status,
            PatientWaitlist.created_at,
            PatientWaitlist.called_at,
            waited,
        )
        .join(Hospital, Hospital.id == PatientWaitlist.hospital_id)
        .join(User, User.id == PatientWaitlist.patient_id)
        .outerjoin(Profile, Profile.user_id == User.id)
    )


def _to_entry(row, values: Settings) -> QueueEntry:
    entry_id, hospital_id, hospital_name, patient, department, reason, priority, status, arrived, called, waited = row
    level = values.wait_target(priority)
    waited = float(waited)
    over = level.breached(waited)
    return QueueEntry(
        id=entry_id,
        hospital_id=hospital_id,
        hospital_name=hospital_name,
        patient_name=patient,
        department=department,
        reason=reason,
        priority=priority,
        status=status,
        waiting=status == "waiting",
        arrived_at=arrived,
        called_at=called,
        waited_minutes=waited,
        target_minutes=level.raise_at,
        over_target=over,
        minutes_over_target=waited - level.raise_at,
        near_target=not over and level.breached(waited, was_raised=True),
    )


def _clean_department(department: str | None) -> str | None:
    if department is None:
        return None
    if not isinstance(department, str) or "\x00" in department or len(department) > MAX_DEPARTMENT_LENGTH:
        raise InvalidInput("Pick a department from the list.")
    return department.strip() or None


# --- Reads ------------------------------------------------------------------------------------------


@permissions.reads("waitlist")
def departments(db: Session, actor: Actor) -> list[str]:
    """Departments with waitlist entries in scope, for the filter."""
    require_role(db, actor, READERS, "see the waitlist")
    stmt = select(PatientWaitlist.department).distinct().order_by(PatientWaitlist.department)
    return list(db.scalars(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)))


@permissions.reads("waitlist")
def queue(
    db: Session, actor: Actor, *, department: str | None = None, values: Settings | None = None
) -> list[QueueEntry]:
    """The live queue: waiting patients in call-next order, then those called or being seen.

    At most QUEUE_LIMIT entries. Patient names and visit reasons are health data, so the look is audited
    (once per browser session and filter, however often the live page refreshes).
    """
    require_role(db, actor, READERS, "see the waitlist")
    values = values or current()
    department = _clean_department(department)
    stmt = _entry_query().where(PatientWaitlist.status.in_(LIVE_STATUSES), arrived())
    if department is not None:
        stmt = stmt.where(PatientWaitlist.department == department)
    stmt = limit_to_scope(stmt, actor, PatientWaitlist.hospital_id).order_by(
        (PatientWaitlist.status != "waiting"),
        priority_rank(),
        PatientWaitlist.created_at,
        PatientWaitlist.id,
    )
    rows = db.execute(stmt.limit(QUEUE_LIMIT)).all()
    audit.record_read(
        db, actor, action_type="waitlist_viewed", resource_type=RESOURCE_TYPE, values={"department": department}
    )
    return [_to_entry(r, values) for r in rows]


@permissions.reads("waitlist")
def queue_summary(db: Session, actor: Actor, *, values: Settings | None = None) -> list[DepartmentQueue]:
    """Per department and priority: patients waiting, the longest wait, and how many are past their target."""
    require_role(db, actor, READERS, "see the waitlist")
    values = values or current()
    waited = wait_minutes()
    stmt = (
        select(
            PatientWaitlist.department,
            PatientWaitlist.priority,
            func.count(),
            func.max(waited),
            func.count().filter(waited >= target_minutes(values)),
        )
        .where(PatientWaitlist.status == "waiting", arrived())
        .group_by(PatientWaitlist.department, PatientWaitlist.priority)
        .order_by(PatientWaitlist.department, priority_rank())
    )
    rows = db.execute(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)).all()
    return [DepartmentQueue(d, p, n, float(longest), over) for d, p, n, longest, over in rows]


# The Overview shows "Patients waiting" to every staff role; the count names nobody, so it is open to them.
WAITING_NOW_READERS = READERS | permissions.readers("overview")


@permissions.reads(WAITING_NOW_READERS)
def waiting_now(db: Session, actor: Actor, *, values: Settings | None = None) -> WaitingNow:
    """Patients waiting now in scope, how many are past their target, and the longest wait: one query."""
    require_role(db, actor, WAITING_NOW_READERS, "see how many patients are waiting")
    values = values or current()
    waited = wait_minutes()
    stmt = select(func.count(), func.count().filter(waited >= target_minutes(values)), func.max(waited)).where(
        PatientWaitlist.status == "waiting", arrived()
    )
    waiting, over, longest = db.execute(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)).one()
    return WaitingNow(waiting, over, None if longest is None else float(longest))


@permissions.reads("waitlist")
def future_arrivals(db: Session, actor: Actor) -> int:
    """Waiting entries whose arrival is after now: left out of every list and figure until then."""
    require_role(db, actor, READERS, "see the waitlist")
    stmt = select(func.count()).where(PatientWaitlist.status == "waiting", PatientWaitlist.created_at > func.now())
    return db.scalar(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)) or 0


@permissions.reads("waitlist")
def call_options(db: Session, actor: Actor, *, hospital_id: str | None = None) -> CallOptions:
    """The departments with someone waiting (of one hospital, or the whole scope), and the next patient's department.

    "Next" is the patient call-next would take: the most urgent, then the longest waiting.
    """
    require_role(db, actor, READERS, "see the waitlist")
    waiting = [PatientWaitlist.status == "waiting", arrived()]
    if hospital_id is not None:
        if not isinstance(hospital_id, str) or "\x00" in hospital_id:
            raise NotFound("That hospital no longer exists.")
        waiting.append(PatientWaitlist.hospital_id == hospital_id)
    counts = limit_to_scope(
        select(PatientWaitlist.department, func.count()).where(*waiting).group_by(PatientWaitlist.department),
        actor,
        PatientWaitlist.hospital_id,
    ).order_by(PatientWaitlist.department)
    next_department = db.scalar(
        limit_to_scope(select(PatientWaitlist.department).where(*waiting), actor, PatientWaitlist.hospital_id)
        .order_by(priority_rank(), PatientWaitlist.created_at, PatientWaitlist.id)
        .limit(1)
    )
    return CallOptions([DepartmentWaiting(d, n) for d, n in db.execute(counts)], next_department)


@permissions.reads("waitlist")
def breaches(db: Session, actor: Actor, *, values: Settings | None = None) -> list[QueueEntry]:
    """Waiting patients past their priority's target, most overdue first, plus those in the hysteresis band.

    Entries with `over_target` raise the alert; entries with `near_target` (past the clear level, short
    of the target) keep an alert the page raised earlier, and clear it once they fall below the clear level.
    """
    require_role(db, actor, READERS, "see waitlist alerts")
    values = values or current()
    waited = wait_minutes()
    clear_ratio = values.wait_clear_ratio
    overdue = waited - target_minutes(values)
    stmt = _entry_query().where(
        PatientWaitlist.status == "waiting", arrived(), waited > target_minutes(values) * clear_ratio
    )
    stmt = limit_to_scope(stmt, actor, PatientWaitlist.hospital_id).order_by(
        overdue.desc(), priority_rank(), PatientWaitlist.id
    )
    rows = db.execute(stmt.limit(QUEUE_LIMIT)).all()
    audit.record_read(db, actor, action_type="waitlist_alerts_viewed", resource_type=RESOURCE_TYPE, values={})
    return [_to_entry(r, values) for r in rows]


@permissions.reads("waitlist")
def wait_distribution(db: Session, actor: Actor, *, day: date | None = None) -> list[WaitBucket]:
    """How long the patients called on `day` (Lagos) waited, by priority, in WAIT_BUCKETS; zero buckets included."""
    require_role(db, actor, READERS, "see waiting times")
    day = day or datetime.now(LAGOS).date()
    waited = wait_minutes()
    bucket = case(
        *[(waited < upper, index) for index, (_, upper) in enumerate(WAIT_BUCKETS) if upper is not None],
        else_=len(WAIT_BUCKETS) - 1,
    )
    stmt = (
        select(PatientWaitlist.priority, bucket.label("bucket"), func.count())
        .where(
            PatientWaitlist.called_at >= lagos_midnight(day),
            PatientWaitlist.called_at < lagos_midnight(day + timedelta(days=1)),
            PatientWaitlist.called_at <= func.now(),
            arrived(),
        )
        .group_by(PatientWaitlist.priority, "bucket")
    )
    counts = {(p, b): n for p, b, n in db.execute(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id))}
    return [
        WaitBucket(priority, _bucket_label(lower, upper), lower, upper, counts.get((priority, index), 0))
        for priority in WAIT_PRIORITIES
        for index, (lower, upper) in enumerate(WAIT_BUCKETS)
    ]


def _bucket_label(lower: float, upper: float | None) -> str:
    return f"{lower:g}+ min" if upper is None else f"{lower:g}–{upper:g} min"


@permissions.reads("waitlist")
def median_waits(db: Session, actor: Actor, *, today: date | None = None) -> MedianWaits:
    """The median wait of patients called today, and over the 7 days before, in minutes."""
    require_role(db, actor, READERS, "see waiting times")
    today = today or datetime.now(LAGOS).date()
    stmt = select(*median_wait_columns(today)).where(
        PatientWaitlist.called_at >= lagos_midnight(today - timedelta(days=7)),
        PatientWaitlist.called_at < lagos_midnight(today + timedelta(days=1)),
    )
    median_today, count_today, median_before, count_before = db.execute(
        limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)
    ).one()
    return MedianWaits(
        day=today,
        today_minutes=None if median_today is None else float(median_today),
        today_count=count_today,
        previous_7_days_minutes=None if median_before is None else float(median_before),
        previous_7_days_count=count_before,
    )


# --- Commands ---------------------------------------------------------------------------------------


def _entry(db: Session, entry_id: str, values: Settings) -> QueueEntry:
    return _to_entry(db.execute(_entry_query().where(PatientWaitlist.id == entry_id)).one(), values)


def call_next(
    db: Session, actor: Actor, *, hospital_id: str, department: str, values: Settings | None = None
) -> QueueEntry | None:
    """Call the highest-priority, longest-waiting patient of one hospital's department queue.

    Returns the called entry, or None (nothing written) when nobody is waiting there. Entries another
    administrator is calling at this moment are skipped, not waited for.
    """
    require_role(db, actor, WRITERS, "call patients from the waitlist")
    values = values or current()
    if not isinstance(hospital_id, str) or not hospital_id.strip():
        raise InvalidInput("Pick the hospital whose queue you are calling from.")
    department = _clean_department(department)
    if department is None:
        raise InvalidInput("Pick the department whose queue you are calling from.")
    if "\x00" in hospital_id or db.scalar(select(Hospital.id).where(Hospital.id == hospital_id)) is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    entry = db.scalars(
        select(PatientWaitlist)
        .where(
            PatientWaitlist.hospital_id == hospital_id,
            PatientWaitlist.department == department,
            PatientWaitlist.status == "waiting",
            arrived(),
        )
        .order_by(priority_rank(), PatientWaitlist.created_at, PatientWaitlist.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    if entry is None:
        return None
    entry.status = "called"
    entry.called_at = func.now()
    db.flush()
    called = _entry(db, entry.id, values)
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="waitlist_patient_called",
        resource_type=RESOURCE_TYPE,
        resource_id=entry.id,
        old_values={"status": "waiting"},
        new_values={
            "status": "called",
            "called_at": called.called_at,
            "department": department,
            "priority": called.priority,
            "waited_minutes": round(called.waited_minutes, 1),
        },
        concerns_hospital=entry.hospital_id,
    )
    return called


def _locked_entry(db: Session, actor: Actor, entry_id: str) -> PatientWaitlist:
    if not isinstance(entry_id, str) or "\x00" in entry_id:
        raise NotFound("That waitlist entry no longer exists.")
    entry = db.scalars(
        select(PatientWaitlist)
        .where(PatientWaitlist.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if entry is None:
        raise NotFound("That waitlist entry no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=entry.id, row_hospital_id=entry.hospital_id)
    return entry


def _patient_name_of(db: Session, entry: PatientWaitlist) -> str:
    return (
        db.scalar(
            select(_patient_name())
            .select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.id == entry.patient_id)
        )
        or "The patient"
    )


def _refuse_status(db: Session, entry: PatientWaitlist, rule: str) -> NoReturn:
    name = _patient_name_of(db, entry)
    raise InvalidInput(f"{rule}; {name} is {STATUS_WORDS.get(entry.status, entry.status)}.")


def complete(db: Session, actor: Actor, entry_id: str, *, values: Settings | None = None) -> QueueEntry:
    """Mark a called (or in-progress) patient's visit as completed."""
    require_role(db, actor, WRITERS, "complete waitlist entries")
    values = values or current()
    entry = _locked_entry(db, actor, entry_id)
    if entry.status not in ("called", "in_progress"):
        _refuse_status(db, entry, "Only a called patient can be completed")
    old_status = entry.status
    entry.status = "completed"
    entry.completed_at = func.now()
    db.flush()
    done = _entry(db, entry.id, values)
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="waitlist_entry_completed",
        resource_type=RESOURCE_TYPE,
        resource_id=entry.id,
        old_values={"status": old_status},
        new_values={"status": "completed", "completed_at": entry.completed_at},
        concerns_hospital=entry.hospital_id,
    )
    return done


def cancel(db: Session, actor: Actor, entry_id: str, *, reason: str, values: Settings | None = None) -> QueueEntry:
    """Take a waiting or called patient off the queue; the reason is kept in the audit row."""
    require_role(db, actor, WRITERS, "cancel waitlist entries")
    values = values or current()
    reason = (reason if isinstance(reason, str) else "").replace("\x00", "").strip()
    if not reason:
        raise InvalidInput("Give a reason for cancelling.")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"Keep the reason for cancelling to {MAX_REASON_LENGTH} characters.")
    entry = _locked_entry(db, actor, entry_id)
    if entry.status not in ("waiting", "called"):
        _refuse_status(db, entry, "Only a waiting or called patient can be cancelled")
    old_status = entry.status
    entry.status = "cancelled"
    db.flush()
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="waitlist_entry_cancelled",
        resource_type=RESOURCE_TYPE,
        resource_id=entry.id,
        old_values={"status": old_status},
        new_values={"status": "cancelled", "reason": reason},
        concerns_hospital=entry.hospital_id,
        impact_level="medium",
    )
    return _entry(db, entry.id, values)


def change_priority(
    db: Session, actor: Actor, entry_id: str, *, priority: str, values: Settings | None = None
) -> QueueEntry:
    """Move a waiting patient to another priority (and so to another place in the queue)."""
    require_role(db, actor, WRITERS, "change waitlist priorities")
    values = values or current()
    if priority not in WAITLIST_PRIORITIES:
        raise InvalidInput("Priority must be one of urgent, high, medium or low.")
    entry = _locked_entry(db, actor, entry_id)
    if entry.status != "waiting":
        _refuse_status(db, entry, "The priority can only be changed while the patient is waiting")
    old, new = audit.changes({"priority": entry.priority}, {"priority": priority})
    if new:
        entry.priority = priority
        db.flush()
        audit.record(
            db,
            actor,
            action_category=AUDIT_CATEGORY,
            action_type="waitlist_priority_changed",
            resource_type=RESOURCE_TYPE,
            resource_id=entry.id,
            old_values=old,
            new_values=new,
            concerns_hospital=entry.hospital_id,
        )
    return _entry(db, entry.id, values)
