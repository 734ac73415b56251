"""The live waitlist: the queue in call order, its headline figures, and the waits behind the alerts.

Waits are measured by the database clock (`now()`), so every figure of one call agrees. A waiting
patient's wait runs until now; a called patient's wait stopped when they were called.

An entry whose arrival (`created_at`) is after now has not happened yet (a clock or a client's
error): no live list, count or median takes it, and call-next never calls it. `future_arrivals`
counts them so the page can say they are left out. The commands are in `waitlist_commands`, the
waits of the day in `waitlist_waits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Select, case, cast, func, select
from sqlalchemy.orm import Session

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.scope import limit_to_scope
from dashboard.platform.transitions import Lifecycle
from db.models import Hospital, PatientWaitlist, Profile, User
from db.settings import WAIT_PRIORITIES, Settings, current

RESOURCE_TYPE = "patient_waitlist"
LIVE_STATUSES = ("waiting", "called", "in_progress")
QUEUE_LIMIT = 500  # a live queue far longer than a screen; the network's is a few hundred at its busiest
MAX_DEPARTMENT_LENGTH = 200
NO_NAME = "(no name)"
# How a status reads after "<name> is ...", for refusals.
STATUS_WORDS = {
    "waiting": "still waiting",
    "called": "already called",
    "in_progress": "already being seen",
    "completed": "already completed",
    "cancelled": "cancelled",
    "no_show": "recorded as not having shown up",
}
# A visit's moves: only a waiting patient is called (and may change priority, which orders the calls);
# a called or in-progress one is completed; a waiting or called one may be cancelled.
VISIT = Lifecycle(
    "visit",
    {
        "waiting": {"called", "cancelled"},
        "called": {"in_progress", "completed", "cancelled"},
        "in_progress": {"completed"},
        "completed": set(),
        "cancelled": set(),
        "no_show": set(),
    },
    words=STATUS_WORDS,
)


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
    hospital_number: str | None = None  # the patient's number at this hospital (migration 0016)

    @property
    def may_complete(self) -> bool:
        return VISIT.may(self.status, "completed")

    @property
    def may_change_priority(self) -> bool:
        """Only while the patient may still be called: the priority orders the calls."""
        return VISIT.may(self.status, "called")


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

    def first_choice(self, department: str | None) -> str | None:
        """The department offered first: the queue's filter when someone waits there, else the next patient's."""
        return department if department in {d.department for d in self.departments} else self.next_department


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


def patient_name() -> ColumnElement:
    return people.name_or(NO_NAME)


def _entry_query() -> Select:
    waited = wait_minutes()
    return (
        select(
            PatientWaitlist.id,
            PatientWaitlist.hospital_id,
            Hospital.name,
            patient_name(),
            PatientWaitlist.department,
            PatientWaitlist.reason,
            PatientWaitlist.priority,
            PatientWaitlist.status,
            PatientWaitlist.created_at,
            PatientWaitlist.called_at,
            waited,
            people.hospital_number(PatientWaitlist.hospital_id, PatientWaitlist.patient_id),
        )
        .join(Hospital, Hospital.id == PatientWaitlist.hospital_id)
        .join(User, User.id == PatientWaitlist.patient_id)
        .outerjoin(Profile, Profile.user_id == User.id)
    )


def _to_entry(row, values: Settings) -> QueueEntry:
    (
        entry_id,
        hospital_id,
        hospital_name,
        patient,
        department,
        reason,
        priority,
        status,
        arrived,
        called,
        waited,
        number,
    ) = tuple(row)
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
        hospital_number=number,
    )


def entry(db: Session, entry_id: str, values: Settings) -> QueueEntry:
    """One entry as the queue shows it (the commands return it after their change)."""
    return _to_entry(db.execute(_entry_query().where(PatientWaitlist.id == entry_id)).one(), values)


def clean_department(department: str | None) -> str | None:
    if department is None:
        return None
    if not isinstance(department, str) or "\x00" in department or len(department) > MAX_DEPARTMENT_LENGTH:
        raise InvalidInput("Pick a department from the list.")
    return department.strip() or None


# --- Reads ------------------------------------------------------------------------------------------


@permissions.reads("waitlist", "see the waitlist")
def departments(db: Session, actor: Actor) -> list[str]:
    """Departments with waitlist entries in scope, for the filter."""
    stmt = select(PatientWaitlist.department).distinct().order_by(PatientWaitlist.department)
    return list(db.scalars(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)))


@permissions.reads("waitlist", "see the waitlist")
def queue(
    db: Session, actor: Actor, *, department: str | None = None, values: Settings | None = None
) -> list[QueueEntry]:
    """The live queue: waiting patients in call-next order, then those called or being seen.

    At most QUEUE_LIMIT entries. Patient names and visit reasons are health data, so the look is audited
    (once per browser session and filter, however often the live page refreshes).
    """
    values = values or current()
    department = clean_department(department)
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


@permissions.reads("waitlist", "see the waitlist")
def queue_summary(db: Session, actor: Actor, *, values: Settings | None = None) -> list[DepartmentQueue]:
    """Per department and priority: patients waiting, the longest wait, and how many are past their target."""
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
WAITING_NOW_READERS = permissions.readers("waitlist") | permissions.readers("overview")


@permissions.reads(WAITING_NOW_READERS, "see how many patients are waiting")
def waiting_now(db: Session, actor: Actor, *, values: Settings | None = None) -> WaitingNow:
    """Patients waiting now in scope, how many are past their target, and the longest wait: one query."""
    values = values or current()
    waited = wait_minutes()
    stmt = select(func.count(), func.count().filter(waited >= target_minutes(values)), func.max(waited)).where(
        PatientWaitlist.status == "waiting", arrived()
    )
    waiting, over, longest = db.execute(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)).one()
    return WaitingNow(waiting, over, None if longest is None else float(longest))


@permissions.reads("waitlist", "see the waitlist")
def future_arrivals(db: Session, actor: Actor) -> int:
    """Waiting entries whose arrival is after now: left out of every list and figure until then."""
    stmt = select(func.count()).where(PatientWaitlist.status == "waiting", PatientWaitlist.created_at > func.now())
    return db.scalar(limit_to_scope(stmt, actor, PatientWaitlist.hospital_id)) or 0


@permissions.reads("waitlist", "see the waitlist")
def call_options(db: Session, actor: Actor, *, hospital_id: str | None = None) -> CallOptions:
    """The departments with someone waiting (of one hospital, or the whole scope), and the next patient's department.

    "Next" is the patient call-next would take: the most urgent, then the longest waiting.
    """
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


@permissions.reads("waitlist", "see waitlist alerts")
def breaches(db: Session, actor: Actor, *, values: Settings | None = None) -> list[QueueEntry]:
    """Waiting patients past their priority's target, most overdue first, plus those in the hysteresis band.

    Entries with `over_target` raise the alert; entries with `near_target` (past the clear level, short
    of the target) keep an alert the page raised earlier, and clear it once they fall below the clear level.
    """
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
