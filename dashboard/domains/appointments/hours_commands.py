"""Setting a physician's weekly hours and recording their leave, and the bookings a leave clashes with.

An administrator of the hospital (or a network ADMIN) adds and removes weekly sessions and records or
withdraws leave. Recording leave does not move anyone's appointment: the booked appointments that fall in
it are listed (`leave_clashes`) for the administrator to move each one with the ordinary reschedule, so the
patient is told of the new time, not of a cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.appointments import hours, records
from dashboard.domains.appointments.records import READERS, WRITERS, AppointmentRow, lagos_day
from dashboard.domains.appointments.words import OPEN_STATUSES
from dashboard.platform import audit
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, day_text
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import hospital_in_scope, require_in_scope, require_role
from db.base import UserRole
from db.models import Appointment, PhysicianLeave, PhysicianSession
from db.models.physician_hours import LEAVE_KINDS

MAX_LEAVE_REASON_CHARS = 200
MAX_LEAVE_DAYS = 366
QUARTER_HOURS = (0, 15, 30, 45)  # sessions start and end on the quarter hour
NO_OVERLAP = "physician_sessions_no_overlap"  # the trigger's constraint name (migration 0017)
_audit = audit.Recorder(hours.AUDIT_CATEGORY, "physician_hours")


@dataclass(frozen=True)
class PhysicianHours:
    """What the hours panel shows for one physician: their weekly sessions here and their leave from today."""

    physician_id: str
    doctor: str
    hours: hours.Hours


@dataclass(frozen=True)
class Clash:
    """A booked appointment that falls in its physician's leave: to be moved."""

    appointment: AppointmentRow
    leave_kind: str
    leave_first_day: date
    leave_last_day: date

    @property
    def leave_label(self) -> str:
        return hours.Leave("", "", None, self.leave_first_day, self.leave_last_day, self.leave_kind, None).label


def physician_hours(db: Session, actor: Actor, *, hospital_id: str, physician_id: str) -> PhysicianHours:
    require_role(db, actor, READERS, "see physicians' hours")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    physician = records.physician_of(db, physician_id, hospital_id, hospital_name)
    today = datetime.now(LAGOS).date()
    found = hours.hours_of(db, hospital_id, [physician.id], today, today + timedelta(days=MAX_LEAVE_DAYS * 2))
    return PhysicianHours(physician.id, records.doctor(physician), found[physician.id])


def add_session(
    db: Session, actor: Actor, *, hospital_id: str, physician_id: str, weekday: Any, starts: Any, ends: Any
) -> str:
    """Add a weekly session (e.g. Monday 08:00–13:00) of a physician of the hospital; returns its id."""
    require_role(db, actor, WRITERS, "set physicians' hours")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    physician = records.physician_of(db, physician_id, hospital_id, hospital_name)
    doctor = records.doctor(physician)
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 1 <= weekday <= 7:
        raise InvalidInput("Pick the day of the week of the session.")
    starts, ends = _quarter_hour(starts, "start"), _quarter_hour(ends, "end")
    day_name = hours.WEEKDAYS[weekday - 1]
    if hours.minutes(ends) <= hours.minutes(starts):
        raise InvalidInput(f"A session must end after it starts: {starts} to {ends} on {day_name}s does not. "
                           "Pick a later end time.")  # fmt: skip
    clash = db.execute(
        select(PhysicianSession.starts, PhysicianSession.ends).where(
            PhysicianSession.physician_id == physician.id, PhysicianSession.weekday == weekday,
            PhysicianSession.starts < ends, PhysicianSession.ends > starts,
        ).limit(1)
    ).first()  # fmt: skip
    if clash is not None:
        _refuse_overlap(doctor, day_name, starts, ends, f" ({clash[0]}\u2013{clash[1]})")
    session = PhysicianSession(physician_id=physician.id, hospital_id=hospital_id, weekday=weekday, starts=starts,
                               ends=ends, created_by=actor.user_id)  # fmt: skip
    try:
        with db.begin_nested():
            db.add(session)
            db.flush()
    except IntegrityError as exc:  # a session at another hospital, or one written at the same moment
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) == NO_OVERLAP:
            _refuse_overlap(doctor, day_name, starts, ends, "")
        raise
    _audit(db, actor, "physician_session_added", session.id, hospital=hospital_id,
           new={"physician_id": physician.id, "weekday": weekday, "starts": starts, "ends": ends})  # fmt: skip
    return session.id


def _refuse_overlap(doctor: str, day_name: str, starts: str, ends: str, which: str) -> None:
    raise InvalidInput(f"{doctor} already has a session on {day_name}s{which} that overlaps {starts}\u2013{ends}. "
                       "Change the times, or remove that session first.")  # fmt: skip


def _quarter_hour(value: Any, which: str) -> str:
    if isinstance(value, time):
        value = f"{value.hour:02d}:{value.minute:02d}"
    text = value.strip() if isinstance(value, str) else ""
    ok = len(text) == 5 and text[2] == ":" and text[:2].isdigit() and text[3:].isdigit()
    if not ok or int(text[:2]) > 23 or int(text[3:]) not in QUARTER_HOURS:
        raise InvalidInput(f"Enter the session's {which} time as HH:MM on the quarter hour, e.g. 08:00 or 13:30.")
    return text


def remove_session(db: Session, actor: Actor, session_id: str) -> None:
    """Remove a weekly session; appointments already booked in it stay as they are."""
    require_role(db, actor, WRITERS, "set physicians' hours")
    session = None
    if usable_id(session_id):
        session = db.scalars(select(PhysicianSession).where(PhysicianSession.id == session_id).with_for_update()
                             ).first()  # fmt: skip
    if session is None:
        raise NotFound("That session has already been removed.")
    require_in_scope(db, actor, resource_type="physician_session", resource_id=session.id,
                     row_hospital_id=session.hospital_id)  # fmt: skip
    old = {"physician_id": session.physician_id, "weekday": session.weekday, "starts": session.starts,
           "ends": session.ends}  # fmt: skip
    db.delete(session)
    db.flush()
    _audit(db, actor, "physician_session_removed", session_id, old=old, hospital=session.hospital_id)


def record_leave(
    db: Session,
    actor: Actor,
    *,
    hospital_id: str,
    physician_id: str,
    first_day: Any,
    last_day: Any,
    kind: str,
    reason: str | None = None,
    every_hospital: bool = False,
) -> str:
    """Record leave (or away days, training, sick leave) of a physician of the hospital; returns its id.

    `every_hospital` (a network ADMIN only) records it for every hospital. Booked appointments in it are not
    moved: `leave_clashes` lists them.
    """
    require_role(db, actor, WRITERS, "record physicians' leave")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    physician = records.physician_of(db, physician_id, hospital_id, hospital_name)
    doctor = records.doctor(physician)
    if kind not in LEAVE_KINDS:
        raise InvalidInput("Pick the kind of absence: leave, away, training or sick leave.")
    for day, label in ((first_day, "first"), (last_day, "last")):
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidInput(f"Pick the {label} day of the absence.")
    if last_day < first_day:
        raise InvalidInput(f"The last day ({day_text(last_day)}) is before the first ({day_text(first_day)}). "
                           "Pick a last day on or after the first.")  # fmt: skip
    if (last_day - first_day).days + 1 > MAX_LEAVE_DAYS:
        raise InvalidInput(f"An absence can be at most {MAX_LEAVE_DAYS} days; record a longer one in parts.")
    today = datetime.now(LAGOS).date()
    if last_day < today - timedelta(days=MAX_LEAVE_DAYS) or first_day > today + timedelta(days=MAX_LEAVE_DAYS):
        raise InvalidInput("Pick days within a year of today.")
    reason = checked_text(reason, "The reason", MAX_LEAVE_REASON_CHARS)
    if every_hospital and not (actor.role is UserRole.ADMIN and actor.network_wide):
        raise NotPermitted("Only a network administrator can record an absence at every hospital.")
    already = db.execute(
        select(PhysicianLeave.first_day, PhysicianLeave.last_day).where(
            PhysicianLeave.physician_id == physician.id, PhysicianLeave.first_day <= last_day,
            PhysicianLeave.last_day >= first_day,
            or_(PhysicianLeave.hospital_id == hospital_id, PhysicianLeave.hospital_id.is_(None)),
        ).limit(1)
    ).first()  # fmt: skip
    if already is not None:
        raise InvalidInput(f"{doctor} is already away from {day_text(already[0])} to {day_text(already[1])}. "
                           "Withdraw that absence first, or pick other days.")  # fmt: skip
    leave = PhysicianLeave(physician_id=physician.id, hospital_id=None if every_hospital else hospital_id,
                           first_day=first_day, last_day=last_day, kind=kind, reason=reason,
                           created_by=actor.user_id)  # fmt: skip
    db.add(leave)
    db.flush()
    clashing = len(_clash_rows(db, hospital_id, physician_id=physician.id, leave_id=leave.id))
    _audit(db, actor, "physician_leave_recorded", leave.id, hospital=hospital_id,
           new={"physician_id": physician.id, "first_day": first_day, "last_day": last_day, "kind": kind,
                "reason": reason, "every_hospital": every_hospital, "booked_appointments_in_it": clashing})  # fmt: skip
    return leave.id


def withdraw_leave(db: Session, actor: Actor, leave_id: str) -> None:
    """Withdraw recorded leave (cancelled, or entered by mistake); the physician is bookable those days again."""
    require_role(db, actor, WRITERS, "record physicians' leave")
    leave = None
    if usable_id(leave_id):
        # No FOR UPDATE: the app role may not update leave (migration 0017's grants), and the delete locks it.
        leave = db.scalars(select(PhysicianLeave).where(PhysicianLeave.id == leave_id)).first()
    if leave is None:
        raise NotFound("That absence has already been withdrawn.")
    if leave.hospital_id is None and not actor.network_wide:
        raise NotPermitted("That absence holds at every hospital; only a network administrator can withdraw it.")
    require_in_scope(db, actor, resource_type="physician_leave", resource_id=leave.id,
                     row_hospital_id=leave.hospital_id or actor.hospital_id)  # fmt: skip
    old = {"physician_id": leave.physician_id, "first_day": leave.first_day, "last_day": leave.last_day,
           "kind": leave.kind, "reason": leave.reason}  # fmt: skip
    hospital = leave.hospital_id
    db.delete(leave)
    db.flush()
    _audit(db, actor, "physician_leave_withdrawn", leave_id, old=old, hospital=hospital)


def leave_clashes(db: Session, actor: Actor, *, hospital_id: str, physician_id: str | None = None) -> list[Clash]:
    """The hospital's booked (pending or confirmed) appointments still ahead that fall in their physician's leave.

    Names patients, so it is audited like the schedule.
    """
    require_role(db, actor, READERS, "see the appointment schedule")
    hospital_in_scope(db, actor, hospital_id)
    rows = _clash_rows(db, hospital_id, physician_id=physician_id)
    audit.record_read(db, actor, action_type="leave_clashes_viewed", resource_type="appointment",
                      values={"hospital_id": hospital_id, "appointments": len(rows)})  # fmt: skip
    return [Clash(AppointmentRow(*r[:-3]), *r[-3:]) for r in rows]


def booked_between(
    db: Session, actor: Actor, *, hospital_id: str, physician_id: str, first_day: date, last_day: date
) -> int:
    """How many booked (pending or confirmed) appointments the physician has at the hospital in those days:
    what recording leave over them would list for moving (the form says so before it is recorded)."""
    require_role(db, actor, READERS, "see the appointment schedule")
    hospital_in_scope(db, actor, hospital_id)
    if not all(isinstance(d, date) for d in (first_day, last_day)) or last_day < first_day:
        return 0
    stmt = select(func.count()).select_from(Appointment).where(
        Appointment.hospital_id == hospital_id, Appointment.physician_id == physician_id,
        Appointment.status.in_(OPEN_STATUSES), *records.dated_within(first_day, last_day),
        Appointment.appointment_date >= func.now(),  # one already begun is not moved
    )  # fmt: skip
    return db.scalar(stmt) or 0


def _clash_rows(db: Session, hospital_id: str, *, physician_id: str | None = None, leave_id: str | None = None):
    stmt = (
        records.select_rows()
        .add_columns(PhysicianLeave.kind, PhysicianLeave.first_day, PhysicianLeave.last_day)
        .join(PhysicianLeave, and_(
            PhysicianLeave.physician_id == Appointment.physician_id,
            or_(PhysicianLeave.hospital_id == Appointment.hospital_id, PhysicianLeave.hospital_id.is_(None)),
            lagos_day >= PhysicianLeave.first_day, lagos_day <= PhysicianLeave.last_day,
        ))
        .where(Appointment.hospital_id == hospital_id, Appointment.status.in_(OPEN_STATUSES),
               Appointment.appointment_date >= func.now())  # one already begun is not moved
        .order_by(Appointment.appointment_date, Appointment.appointment_time, Appointment.id)
    )  # fmt: skip
    if physician_id is not None:
        stmt = stmt.where(Appointment.physician_id == physician_id)
    if leave_id is not None:
        stmt = stmt.where(PhysicianLeave.id == leave_id)
    return db.execute(stmt).all()
