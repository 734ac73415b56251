"""Physicians' working hours and leave: when a physician can be booked at a hospital, and the override.

A physician is bookable in a slot when the whole slot lies inside one of their weekly sessions at that
hospital (migration 0017) and the day is not in their leave there (or their network-wide leave).

A physician with no sessions at all at the hospital is unrestricted: many hospitals do not keep hours in
the dashboard, and refusing every booking until someone types them would stop those hospitals booking at
all. Their leave still holds. The page says which physicians keep no hours.

Outside those hours only an administrator (a network ADMIN, or the HOSPITAL_ADMIN of that hospital) may
book or move an appointment, by ticking the override and giving a reason; the override is audited in the
booking's own transaction (`check_slot` returns what the command records).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dashboard.platform import audit
from dashboard.platform.actors import Actor
from dashboard.platform.dates import day_text, span_text
from dashboard.platform.errors import InvalidInput, NotPermitted
from dashboard.platform.inputs import checked_text
from db.base import UserRole
from db.models import PhysicianLeave, PhysicianSession, Profile
from db.rules import SLOT_MINUTES

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # ISO 1..7
LEAVE_LABELS = {"leave": "Leave", "away": "Away", "training": "Training", "sick": "Sick leave"}
OVERRIDERS = frozenset({UserRole.ADMIN, UserRole.HOSPITAL_ADMIN})
MAX_OVERRIDE_REASON_CHARS = 200
AUDIT_CATEGORY = "patient_management"
_audit = audit.Recorder(AUDIT_CATEGORY, "appointment", impact="medium")


def minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


def hhmm(total_minutes: int) -> str:
    return f"{total_minutes // 60:02d}:{total_minutes % 60:02d}"


@dataclass(frozen=True)
class WeeklySession:
    session_id: str
    physician_id: str
    weekday: int  # ISO: 1 Monday ... 7 Sunday
    starts: str  # "HH:MM"
    ends: str

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday - 1]} {self.starts}\u2013{self.ends}"

    def holds(self, weekday: int, slot_time: str) -> bool:
        start = minutes(slot_time)
        return weekday == self.weekday and minutes(self.starts) <= start and start + SLOT_MINUTES <= minutes(self.ends)


@dataclass(frozen=True)
class Leave:
    leave_id: str
    physician_id: str
    hospital_id: str | None  # None: away from every hospital
    first_day: date
    last_day: date
    kind: str
    reason: str | None

    @property
    def label(self) -> str:
        """ "Leave 7–11 Dec 2026" """
        return f"{LEAVE_LABELS.get(self.kind, self.kind)} {span_text(self.first_day, self.last_day, year=True)}"

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Hours:
    """One physician's weekly sessions at a hospital and the leave that holds there."""

    physician_id: str
    sessions: tuple[WeeklySession, ...] = ()
    leave: tuple[Leave, ...] = field(default=())

    @property
    def keeps_hours(self) -> bool:
        return bool(self.sessions)

    def leave_on(self, day: date) -> Leave | None:
        return next((item for item in self.leave if item.covers(day)), None)

    def sessions_on(self, day: date) -> list[WeeklySession]:
        return [s for s in self.sessions if s.weekday == day.isoweekday()]

    def in_session(self, day: date, slot_time: str) -> bool:
        return not self.sessions or any(s.holds(day.isoweekday(), slot_time) for s in self.sessions)

    def bookable(self, day: date, slot_time: str) -> bool:
        return self.leave_on(day) is None and self.in_session(day, slot_time)

    def why_not(self, day: date, slot_time: str, doctor: str, hospital_name: str) -> str | None:
        """Why the slot is outside the physician's hours, in a sentence; None when it is inside them."""
        away = self.leave_on(day)
        if away is not None:
            what = LEAVE_LABELS.get(away.kind, away.kind).lower()
            return (
                f"{doctor} is away ({what}) from {day_text(away.first_day)} to {day_text(away.last_day)}, "
                f"so {slot_time} on {day_text(day)} cannot be booked"
            )
        if self.in_session(day, slot_time):
            return None
        that_day = self.sessions_on(day)
        weekday = WEEKDAYS[day.isoweekday() - 1]
        if not that_day:
            return (
                f"{doctor} has no session at {hospital_name} on {weekday}s, so {slot_time} on {day_text(day)} "
                "is outside their hours"
            )
        spans = ", ".join(f"{s.starts}\u2013{s.ends}" for s in sorted(that_day, key=lambda s: s.starts))
        return (
            f"{doctor} works at {hospital_name} on {weekday}s {spans}, and the {SLOT_MINUTES}-minute slot at "
            f"{slot_time} on {day_text(day)} is outside those hours"
        )


def hours_of(db: Session, hospital_id: str, physician_ids: Iterable[str], first: date, last: date) -> dict[str, Hours]:
    """Each physician's sessions at the hospital and the leave that holds there between `first` and `last`.

    Callers have checked the role and that the hospital is in scope; row-level security holds the rows too.
    """
    ids = list(physician_ids)
    if not ids:
        return {}
    sessions: dict[str, list[WeeklySession]] = {i: [] for i in ids}
    for r in db.execute(
        select(PhysicianSession.id, PhysicianSession.physician_id, PhysicianSession.weekday, PhysicianSession.starts,
               PhysicianSession.ends)
        .where(PhysicianSession.hospital_id == hospital_id, PhysicianSession.physician_id.in_(ids))
        .order_by(PhysicianSession.weekday, PhysicianSession.starts)
    ):  # fmt: skip
        sessions[r[1]].append(WeeklySession(*r))
    leave: dict[str, list[Leave]] = {i: [] for i in ids}
    for r in db.execute(
        select(PhysicianLeave.id, PhysicianLeave.physician_id, PhysicianLeave.hospital_id, PhysicianLeave.first_day,
               PhysicianLeave.last_day, PhysicianLeave.kind, PhysicianLeave.reason)
        .where(PhysicianLeave.physician_id.in_(ids), PhysicianLeave.last_day >= first, PhysicianLeave.first_day <= last,
               or_(PhysicianLeave.hospital_id == hospital_id, PhysicianLeave.hospital_id.is_(None)))
        .order_by(PhysicianLeave.first_day)
    ):  # fmt: skip
        leave[r[1]].append(Leave(*r))
    return {i: Hours(i, tuple(sessions[i]), tuple(leave[i])) for i in ids}


def check_slot(
    db: Session,
    actor: Actor,
    physician: Profile,
    hospital_id: str,
    hospital_name: str,
    doctor: str,
    day: date,
    slot_time: str,
    *,
    override: bool = False,
    override_reason: str | None = None,
) -> dict | None:
    """Refuse a slot outside the physician's hours unless an administrator overrides it with a reason.

    Returns None inside the hours, else what the override's audit row records (`record_override`).
    """
    hours = hours_of(db, hospital_id, [physician.id], day, day)[physician.id]
    why = hours.why_not(day, slot_time, doctor, hospital_name)
    if why is None:
        return None
    may_override = actor.role in OVERRIDERS and (actor.network_wide or actor.hospital_id == hospital_id)
    if not override:
        how = (
            " Pick a time inside their hours, or tick \u201cBook outside their hours\u201d and give a reason."
            if may_override
            else " Pick a time inside their hours."
        )
        raise InvalidInput(f"{why}.{how}")
    if not may_override:
        audit.record_refusal(
            db, actor, action_type="permission_denied", resource_type="appointment", resource_id=None,
            detail={"attempted": "book outside a physician's hours"},
        )  # fmt: skip
        raise NotPermitted(f"{why}. Only an administrator of {hospital_name} can book outside a physician's hours.")
    reason = checked_text(override_reason, "The reason for booking outside their hours", MAX_OVERRIDE_REASON_CHARS)
    if reason is None:
        raise InvalidInput(f"{why}. Give a reason for booking outside {doctor}'s hours: it is kept in the audit trail.")
    return {"outside_hours": why, "reason": reason}


def record_override(
    db: Session, actor: Actor, appointment_id: str, override: dict, *, hospital_id: str, day: date, slot_time: str
) -> None:
    """The override's own audit row, in the booking's (or the move's) transaction."""
    _audit(
        db,
        actor,
        "appointment_outside_hours_override",
        appointment_id,
        new={"day": day, "time": slot_time, **override},
        hospital=hospital_id,
    )
