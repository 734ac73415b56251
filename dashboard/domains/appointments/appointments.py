"""Appointments in the actor's scope: the list, a hospital's day or week, booking and the status actions, figures.

A physician's slot (their Lagos day and "HH:MM" time) holds at most one appointment that is not
cancelled. `book` and `reschedule` check it first to refuse with a clear sentence, and the database
enforces it (the partial unique index of migration 0006), so two administrators booking the same
slot at the same moment cannot both succeed: the second's insert waits for the first, then fails on
the index, and gets the same sentence.

Bookings are made on a grid of SLOT_MINUTES within clinic hours (CLINIC_OPENS to CLINIC_CLOSES,
Lagos time; db.rules, which the demo books on too). It is not a setting: it is the booking rule the refusals
quote, and the platform's other clients may book other times (the schedule shows those too, off the grid).

Every booking, confirmation, new time and cancellation sends the patient a notification, in the
same transaction as the change and its audit row. A virtual booking also opens its consultation
session and video room, as the platform's own clients do.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NoReturn

from sqlalchemy import Date, Select, and_, case, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, checked_range, day_series, day_text, lagos_midnight
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.paging import MAX_PAGE_SIZE, Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_in_scope, require_role
from db.base import UserRole
from db.models import Appointment, ConsultationRoom, ConsultationSession, Hospital, Notification, Profile, User
from db.rules import CLINIC_CLOSES, CLINIC_OPENS, SLOT_MINUTES, SLOT_TIMES  # the grid the demo books on too
from db.vocab import APPOINTMENT_STATUSES, APPOINTMENT_TYPES, CONSULTATION_TYPES

READERS = permissions.readers("appointments")
WRITERS = permissions.writers("appointments")
AUDIT_CATEGORY = "patient_management"
RESOURCE_TYPE = "appointment"
# The unique index of migration 0006; its violation, and only its, is a taken slot.
SLOT_INDEX = "uq_appointments_physician_slot"

MAX_DAYS_AHEAD = 365  # a booking further ahead is a mistyped year
MAX_SCHEDULE_DAYS = 7
MAX_NOTES_CHARS = 1000
MAX_REASON_CHARS = 200
MAX_PATIENT_MATCHES = 50
MAX_BUSIEST = 50
OPEN_STATUSES = ("pending", "confirmed")  # the appointment has not happened, or not been closed, yet


TYPE_LABELS = {
    "consultation": "consultation",
    "follow_up": "follow-up",
    "check_up": "check-up",
    "procedure": "procedure",
    "emergency": "emergency",
}
CONSULTATION_LABELS = {"in_person": "in person", "virtual": "virtual (video)"}
STATUS_LABELS = {
    "pending": "Pending",
    "confirmed": "Confirmed",
    "cancelled": "Cancelled",
    "completed": "Completed",
    "no_show": "No-show",
}
# How a status reads after "<the appointment> ...", for refusals.
STATUS_WORDS = {
    "pending": "is still pending",
    "confirmed": "is confirmed",
    "cancelled": "was cancelled",
    "completed": "is already completed",
    "no_show": "was marked as a no-show",
}

PatientProfile = aliased(Profile, name="patient_profile")
PhysicianProfile = aliased(Profile, name="physician_profile")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _name(profile: Any) -> Any:
    """A person's full name from their profile, NULL when they have none."""
    return func.nullif(func.trim(func.concat_ws(" ", profile.first_name, profile.last_name)), "")


_patient_name = func.coalesce(_name(PatientProfile), User.email)
_physician_name = func.coalesce(_name(PhysicianProfile), "(no name)")
_lagos_day = cast(func.timezone("Africa/Lagos", Appointment.appointment_date), Date)
_not_cancelled = Appointment.status != "cancelled"


# --- What the page gets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentRow:
    appointment_id: str
    hospital_id: str | None
    hospital_name: str | None  # None for an appointment a client booked with no hospital
    patient_id: str
    patient_name: str  # full name, or the email of a patient with no name on file
    patient_email: str
    physician_id: str
    physician_name: str
    day: date  # Africa/Lagos
    time: str  # "HH:MM", Lagos wall-clock time
    appointment_type: str  # one of APPOINTMENT_TYPES (TYPE_LABELS has the words)
    consultation_type: str  # "in_person" or "virtual"
    virtual: bool
    status: str  # one of APPOINTMENT_STATUSES (STATUS_LABELS has the words)
    notes: str | None
    booked_at: datetime


@dataclass(frozen=True)
class PhysicianChoice:
    physician_id: str  # the profile id
    name: str
    specialization: str | None

    @property
    def label(self) -> str:
        return f"Dr. {self.name} — {self.specialization}" if self.specialization else f"Dr. {self.name}"


@dataclass(frozen=True)
class PatientChoice:
    user_id: str
    name: str
    email: str


@dataclass(frozen=True)
class ScheduleSlot:
    appointment_id: str
    physician_id: str
    physician_name: str
    day: date
    time: str
    on_grid: bool  # False for a time another client booked off SLOT_TIMES (a quarter past, the evening)
    status: str  # pending, confirmed, completed or no_show: a cancelled appointment frees its slot
    patient_name: str
    appointment_type: str
    virtual: bool


@dataclass(frozen=True)
class Schedule:
    """A hospital's booked slots for `days`; a grid cell (physician, day, time) with no slot is free."""

    hospital_id: str
    hospital_name: str
    days: tuple[date, ...]
    slot_times: tuple[str, ...]  # SLOT_TIMES
    physicians: list[PhysicianChoice]  # the hospital's active physicians, in name order
    slots: list[ScheduleSlot]  # by day, time and physician name

    def is_free(self, physician_id: str, day: date, slot_time: str) -> bool:
        return not any(s.physician_id == physician_id and s.day == day and s.time == slot_time for s in self.slots)


@dataclass(frozen=True)
class DayByStatus:
    day: date  # by the appointment's Lagos date, not the day it was booked
    pending: int
    confirmed: int
    cancelled: int
    completed: int
    no_show: int
    total: int


@dataclass(frozen=True)
class MonthRates:
    """Rates of the appointments dated in the month (within the range asked for).

    The cancellation rate is cancelled of all appointments; the no-show rate is no-shows of the
    appointments whose outcome is known (completed or no-show), so next month's open bookings do
    not dilute it. Each is None when its denominator is zero.
    """

    month: date  # the first of the month
    appointments: int
    cancelled: int
    completed: int
    no_show: int
    cancellation_rate: float | None
    no_show_rate: float | None


@dataclass(frozen=True)
class VirtualShare:
    """Appointments that were not cancelled, virtual against in person."""

    start: date
    end: date
    virtual: int
    in_person: int
    total: int
    virtual_share: float | None  # virtual / total; None when there were none


@dataclass(frozen=True)
class PhysicianLoad:
    physician_id: str
    physician_name: str
    specialization: str | None
    hospital_name: str | None  # the physician's hospital
    appointments: int  # not cancelled
    completed: int
    no_show: int
    virtual: int


# --- Reads ------------------------------------------------------------------------------------------------


def list_appointments(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    physician_id: str | None = None,
    status: str | None = None,
    consultation_type: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 50,
) -> Page[AppointmentRow]:
    """Appointments dated from `start` to `end` (Lagos days, inclusive), searched by patient.

    Upcoming ones come first, the next at the top, then past ones, the latest first (`_list_order`).
    """
    require_role(db, actor, READERS, "see appointments")
    now = datetime.now(LAGOS)
    stmt = _listing(actor, start, end, physician_id, status, consultation_type, search, now=now)
    if (search if isinstance(search, str) else "").strip():
        # A search filters on the patient's name: the count needs the joins the list has.
        rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    else:
        rows, total, page, page_size = _unsearched_page(
            db, actor, start, end, physician_id, status, consultation_type, page=page, page_size=page_size, now=now
        )
    # Patient names with their doctors and visits are health data: who looked, at what, is on record.
    audit.record_read(
        db,
        actor,
        action_type="appointment_list_viewed",
        resource_type=RESOURCE_TYPE,
        values=_filters(start, end, physician_id, status, consultation_type, search) | {"page": page},
    )
    return Page([AppointmentRow(*r) for r in rows], total, page, page_size)


def export_appointments(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    physician_id: str | None = None,
    status: str | None = None,
    consultation_type: str | None = None,
    search: str = "",
) -> tuple[list[AppointmentRow], bool]:
    """Every appointment the list shows, in its order, up to paging.EXPORT_LIMIT, and whether the limit cut it."""
    require_role(db, actor, READERS, "export appointments")
    stmt = _listing(actor, start, end, physician_id, status, consultation_type, search)
    rows, truncated = fetch_capped(db, stmt)
    audit.record_export(
        db,
        actor,
        action_type="appointments_exported",
        resource_type=RESOURCE_TYPE,
        filters=_filters(start, end, physician_id, status, consultation_type, search),
        rows=len(rows),
    )
    return [AppointmentRow(*r) for r in rows], truncated


def schedule(db: Session, actor: Actor, *, hospital_id: str, start: date, days: int = 1) -> Schedule:
    """A hospital's day (`days`=1) or week (up to 7): its active physicians and their booked slots."""
    require_role(db, actor, READERS, "see the appointment schedule")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    if not isinstance(start, date):
        raise InvalidInput("Pick the first day to show.")
    start = start.date() if isinstance(start, datetime) else start
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_SCHEDULE_DAYS:
        raise InvalidInput(f"Show from 1 to {MAX_SCHEDULE_DAYS} days of the schedule.")
    physicians = _active_physicians(db, hospital_id)
    stmt = (
        select(
            Appointment.id,
            Appointment.physician_id,
            _physician_name,
            _lagos_day,
            Appointment.appointment_time,
            Appointment.status,
            _patient_name,
            Appointment.appointment_type,
            Appointment.consultation_type,
        )
        .join(PhysicianProfile, PhysicianProfile.id == Appointment.physician_id)
        .join(User, User.id == Appointment.patient_id)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .where(
            Appointment.hospital_id == hospital_id,
            _not_cancelled,
            PhysicianProfile.hospital_id == hospital_id,
            PhysicianProfile.is_active,
            Appointment.appointment_date >= lagos_midnight(start),
            Appointment.appointment_date < lagos_midnight(start + timedelta(days=days)),
        )
    )
    stmt = limit_to_scope(stmt, actor, Appointment.hospital_id).order_by(
        _lagos_day, Appointment.appointment_time, _physician_name, Appointment.id
    )
    slots = [
        ScheduleSlot(
            appointment_id=r[0],
            physician_id=r[1],
            physician_name=r[2],
            day=r[3],
            time=r[4],
            on_grid=r[4] in SLOT_TIMES,
            status=r[5],
            patient_name=r[6],
            appointment_type=r[7],
            virtual=r[8] == "virtual",
        )
        for r in db.execute(stmt)
    ]
    audit.record_read(
        db,
        actor,
        action_type="appointment_schedule_viewed",
        resource_type=RESOURCE_TYPE,
        values={"hospital_id": hospital_id, "start": start, "days": days},
    )
    return Schedule(
        hospital_id=hospital_id,
        hospital_name=hospital_name,
        days=tuple(start + timedelta(days=i) for i in range(days)),
        slot_times=SLOT_TIMES,
        physicians=physicians,
        slots=slots,
    )


def find_patients(db: Session, actor: Actor, text: str, *, limit: int = 20) -> list[PatientChoice]:
    """Active patients (any in the network may book) found by name, email, phone or patient number.

    The one patient search (`people.find_patients`): at least 2 characters, audited.
    """
    require_role(db, actor, WRITERS, "book appointments")
    found = people.find_patients(db, actor, text, limit=limit, audit_as="appointment_patient_search")
    return [PatientChoice(p.user_id, p.name, p.email) for p in found]


# --- Figures -----------------------------------------------------------------------------------------------


@permissions.reads("appointments")
def per_day_by_status(db: Session, actor: Actor, *, start: date, end: date) -> list[DayByStatus]:
    """Appointments per Lagos day from `start` to `end` (inclusive) by status; a day with none is zeros."""
    require_role(db, actor, READERS, "see appointment figures")
    start, end = checked_range(start, end)
    series, day = day_series(start, end)
    counts = limit_to_scope(
        select(
            _lagos_day.label("day"),
            *[func.count().filter(Appointment.status == s).label(s) for s in APPOINTMENT_STATUSES],
            func.count().label("total"),
        )
        .where(*_dated_within(start, end))
        .group_by(_lagos_day),
        actor,
        Appointment.hospital_id,
    ).subquery()
    stmt = (
        select(day, *[func.coalesce(counts.c[s], 0) for s in (*APPOINTMENT_STATUSES, "total")])
        .select_from(series)
        .outerjoin(counts, counts.c.day == day)
        .order_by(day)
    )
    return [
        DayByStatus(day=r[0], pending=r[1], confirmed=r[2], cancelled=r[3], completed=r[4], no_show=r[5], total=r[6])
        for r in db.execute(stmt)
    ]


@dataclass(frozen=True)
class RangeRates:
    """The rates over the whole range, of the same appointments the list shows for it (every status).

    As MonthRates: cancelled of all, and no-shows of those whose outcome is known. The list below
    the cards holds exactly these appointments, so its counts and these agree.
    """

    start: date
    end: date
    appointments: int
    cancelled: int
    completed: int
    no_show: int
    cancellation_rate: float | None
    no_show_rate: float | None


def _rates(total: int, cancelled: int, completed: int, no_show: int) -> tuple[float | None, float | None]:
    outcomes = completed + no_show
    return (cancelled / total if total else None, no_show / outcomes if outcomes else None)


@dataclass(frozen=True)
class AppointmentFigures:
    """The page's figures from one pass over the range's appointments (see `figures`)."""

    per_day: list[DayByStatus]
    monthly: list[MonthRates]
    share: VirtualShare
    totals: RangeRates  # the cards: the whole range, the same appointments as the list


@permissions.reads("appointments")
def figures(db: Session, actor: Actor, *, start: date, end: date) -> AppointmentFigures:
    """Per day by status, by month, the virtual share and the whole range's rates, from one statement.

    They read the same rows (appointments dated from `start` to `end`, the rows `list_appointments`
    shows for that range and scope); one GROUP BY ROLLUP of the Lagos day with a FILTER per figure
    reads them once: a row per day, and the range's totals counted by the database in the same pass.
    The months and the share are sums of the days.
    """
    require_role(db, actor, READERS, "see appointment figures")
    start, end = checked_range(start, end)
    stmt = limit_to_scope(
        select(
            func.grouping(_lagos_day),
            _lagos_day,
            *[func.count().filter(Appointment.status == s) for s in APPOINTMENT_STATUSES],
            func.count(),
            func.count().filter(_not_cancelled, Appointment.consultation_type == "virtual"),
            func.count().filter(_not_cancelled, Appointment.consultation_type != "virtual"),
        )
        .where(*_dated_within(start, end))
        .group_by(func.rollup(_lagos_day)),
        actor,
        Appointment.hospital_id,
    )
    keys = (*APPOINTMENT_STATUSES, "total", "virtual", "in_person")
    zero = (0,) * len(keys)
    by_day, whole = {}, dict(zip(keys, zero, strict=True))
    for row in db.execute(stmt):
        if row[0]:  # the ROLLUP's grand total
            whole = dict(zip(keys, row[2:], strict=True))
        else:
            by_day[row[1]] = tuple(row[2:])
    per_day, months, virtual, in_person = [], {}, 0, 0
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        counts = dict(zip(keys, by_day.get(day, zero), strict=True))
        per_day.append(DayByStatus(day=day, **{k: counts[k] for k in (*APPOINTMENT_STATUSES, "total")}))
        month = months.setdefault(day.replace(day=1), [0, 0, 0, 0])
        for i, key in enumerate(("total", "cancelled", "completed", "no_show")):
            month[i] += counts[key]
        virtual += counts["virtual"]
        in_person += counts["in_person"]
    monthly = [
        MonthRates(month_start, total, cancelled, completed, no_show, *_rates(total, cancelled, completed, no_show))
        for month_start, (total, cancelled, completed, no_show) in months.items()
    ]
    both = virtual + in_person
    share = VirtualShare(start, end, virtual, in_person, both, virtual / both if both else None)
    counts = [whole[k] for k in ("total", "cancelled", "completed", "no_show")]
    totals = RangeRates(start, end, *counts, *_rates(*counts))
    return AppointmentFigures(per_day=per_day, monthly=monthly, share=share, totals=totals)


@permissions.reads("appointments")
def busiest_physicians(db: Session, actor: Actor, *, start: date, end: date, limit: int = 10) -> list[PhysicianLoad]:
    """The physicians with the most appointments (not cancelled) dated from `start` to `end`, busiest first."""
    require_role(db, actor, READERS, "see appointment figures")
    start, end = checked_range(start, end)
    limit = max(1, min(int(limit), MAX_BUSIEST))
    # Counted by physician id alone first (no join per appointment), then only the top rows are named.
    # WITH TIES keeps every physician level with the last place, so the name order among them is exact.
    booked = func.count().label("booked")
    loads = (
        limit_to_scope(
            select(
                Appointment.physician_id.label("physician_id"),
                booked,
                func.count().filter(Appointment.status == "completed").label("completed"),
                func.count().filter(Appointment.status == "no_show").label("no_show"),
                func.count().filter(Appointment.consultation_type == "virtual").label("virtual"),
            )
            .where(*_dated_within(start, end), _not_cancelled)
            .group_by(Appointment.physician_id),
            actor,
            Appointment.hospital_id,
        )
        .order_by(booked.desc())
        .fetch(limit, with_ties=True)
        .subquery("loads")
    )
    stmt = (
        select(
            loads.c.physician_id,
            _physician_name,
            PhysicianProfile.specialization,
            Hospital.name,
            loads.c.booked,
            loads.c.completed,
            loads.c.no_show,
            loads.c.virtual,
        )
        .join(PhysicianProfile, PhysicianProfile.id == loads.c.physician_id)
        .outerjoin(Hospital, Hospital.id == PhysicianProfile.hospital_id)
        .order_by(loads.c.booked.desc(), _physician_name, loads.c.physician_id)
    )
    return [PhysicianLoad(*r) for r in db.execute(stmt.limit(limit))]


# --- Commands ----------------------------------------------------------------------------------------------


def book(
    db: Session,
    actor: Actor,
    *,
    hospital_id: str,
    patient_id: str,
    physician_id: str,
    day: date,
    time: str,
    appointment_type: str,
    consultation_type: str,
    notes: str | None = None,
) -> AppointmentRow:
    """Book a patient with a physician of a hospital in scope; pending until confirmed.

    A virtual booking opens its consultation session and video room too. The patient is notified.
    """
    require_role(db, actor, WRITERS, "book appointments")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    if appointment_type not in APPOINTMENT_TYPES:
        raise InvalidInput("Pick the kind of appointment: consultation, follow-up, check-up, procedure or emergency.")
    if consultation_type not in CONSULTATION_TYPES:
        raise InvalidInput("Pick whether the appointment is in person or virtual.")
    notes = checked_text(notes, "The notes", MAX_NOTES_CHARS)
    physician = _physician_of(db, physician_id, hospital_id, hospital_name)
    doctor = _doctor(physician)
    _patient(db, patient_id)
    slot_time = _bookable_slot(doctor, day, time)
    _require_free(db, physician.id, day, slot_time, doctor)
    appointment = Appointment(
        patient_id=patient_id,
        physician_id=physician.id,
        hospital_id=hospital_id,
        appointment_date=_slot_moment(day, slot_time),
        appointment_time=slot_time,
        appointment_type=appointment_type,
        consultation_type=consultation_type,
        status="pending",
        notes=notes,
    )
    _write_slot(db, doctor, day, slot_time, lambda: db.add(appointment))
    session_id = None
    if consultation_type == "virtual":
        session = ConsultationSession(
            appointment_id=appointment.id,
            patient_id=patient_id,
            physician_id=physician.id,
            session_type="video",
            status="scheduled",
            consultation_rate=physician.consultation_rate,
            payment_status="pending",
        )
        db.add(session)
        db.flush()
        # Whoever holds the token enters the video room: long, random, and never written to a log.
        db.add(ConsultationRoom(session_id=session.id, room_token=secrets.token_urlsafe(32), room_status="waiting"))
        session_id = session.id
    how = "a video consultation" if consultation_type == "virtual" else f"at {hospital_name}"
    _notify(
        db,
        patient_id,
        "info",
        "Appointment booked",
        f"Your {TYPE_LABELS[appointment_type]} with {doctor} is booked for {slot_time} on {day_text(day)}, {how}.",
    )
    db.flush()
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="appointment_booked",
        resource_type=RESOURCE_TYPE,
        resource_id=appointment.id,
        new_values={
            "patient_id": patient_id,
            "physician_id": physician.id,
            "day": day,
            "time": slot_time,
            "appointment_type": appointment_type,
            "consultation_type": consultation_type,
            "status": "pending",
            "consultation_session_id": session_id,
        },
        concerns_hospital=hospital_id,
    )
    return _row(db, appointment.id)


def confirm(db: Session, actor: Actor, appointment_id: str) -> AppointmentRow:
    """Confirm a pending appointment; the patient is notified."""
    require_role(db, actor, WRITERS, "confirm appointments")
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if appointment.status != "pending":
        _refuse_status(appointment, about, "Only a pending appointment can be confirmed")
    return _change_status(db, actor, appointment, about, "confirmed", "appointment_confirmed")


def reschedule(db: Session, actor: Actor, appointment_id: str, *, day: date, time: str) -> AppointmentRow:
    """Move a pending or confirmed appointment to another day and time of the same physician; status kept.

    The new slot must pass every check a booking does. The patient is notified.
    """
    require_role(db, actor, WRITERS, "reschedule appointments")
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if appointment.status not in OPEN_STATUSES:
        _refuse_status(appointment, about, "Only a pending or confirmed appointment can be moved to another time")
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == appointment.hospital_id)) or "this hospital"
    physician = _physician_of(db, appointment.physician_id, appointment.hospital_id, hospital_name)
    doctor = _doctor(physician)
    slot_time = _bookable_slot(doctor, day, time)
    old_day, old_time = _appointment_day(appointment), appointment.appointment_time
    if (old_day, old_time) == (day, slot_time):
        raise InvalidInput(f"{_capital(about)} is already at that time. Pick another time to move it to.")
    _require_free(db, physician.id, day, slot_time, doctor, besides=appointment.id)

    def move() -> None:
        appointment.appointment_date = _slot_moment(day, slot_time)
        appointment.appointment_time = slot_time

    _write_slot(db, doctor, day, slot_time, move)
    _notify(
        db,
        appointment.patient_id,
        "info",
        "Appointment moved",
        f"Your appointment with {doctor} has moved from {old_time} on {day_text(old_day)} to {slot_time} on "
        f"{day_text(day)}.",
    )
    db.flush()
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="appointment_rescheduled",
        resource_type=RESOURCE_TYPE,
        resource_id=appointment.id,
        old_values={"day": old_day, "time": old_time},
        new_values={"day": day, "time": slot_time, "patient_id": appointment.patient_id},
        concerns_hospital=appointment.hospital_id,
    )
    return _row(db, appointment.id)


def cancel(db: Session, actor: Actor, appointment_id: str, *, reason: str) -> AppointmentRow:
    """Cancel a pending or confirmed appointment, freeing its slot; a virtual one's session is cancelled too.

    The reason is required; it goes to the patient's notification and the audit row.
    """
    require_role(db, actor, WRITERS, "cancel appointments")
    reason = checked_text(reason, "The reason for cancelling", MAX_REASON_CHARS)
    if reason is None:
        raise InvalidInput("Give a reason for cancelling the appointment.")
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if appointment.status not in OPEN_STATUSES:
        _refuse_status(appointment, about, "Only a pending or confirmed appointment can be cancelled")
    doctor = _doctor_of(db, appointment.physician_id)
    row = _change_status(
        db, actor, appointment, about, "cancelled", "appointment_cancelled", extra={"reason": reason}, impact="medium"
    )
    _notify(
        db,
        appointment.patient_id,
        "warning",
        "Appointment cancelled",
        f"Your appointment with {doctor} at {appointment.appointment_time} on "
        f"{day_text(_appointment_day(appointment))} is cancelled: {reason}",
    )
    db.flush()
    return row


def complete(db: Session, actor: Actor, appointment_id: str) -> AppointmentRow:
    """Record that a pending or confirmed appointment took place (once its time has come)."""
    require_role(db, actor, WRITERS, "complete appointments")
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if appointment.status not in OPEN_STATUSES:
        _refuse_status(appointment, about, "Only a pending or confirmed appointment can be completed")
    if _starts_at(appointment) > datetime.now(UTC):
        raise InvalidInput(f"{_capital(about)} has not started yet: it can be completed once it has begun.")
    return _change_status(db, actor, appointment, about, "completed", "appointment_completed")


def mark_no_show(db: Session, actor: Actor, appointment_id: str) -> AppointmentRow:
    """Record that the patient did not come to a pending or confirmed appointment (once its time has come)."""
    require_role(db, actor, WRITERS, "record no-shows")
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if appointment.status not in OPEN_STATUSES:
        _refuse_status(appointment, about, "Only a pending or confirmed appointment can be marked as a no-show")
    if _starts_at(appointment) > datetime.now(UTC):
        raise InvalidInput(f"{_capital(about)} has not started yet: a patient can only miss it once it is due.")
    return _change_status(db, actor, appointment, about, "no_show", "appointment_no_show")


# --- Helpers ------------------------------------------------------------------------------------------------


def _select() -> Select:
    return (
        select(
            Appointment.id,
            Appointment.hospital_id,
            Hospital.name,
            Appointment.patient_id,
            _patient_name,
            User.email,
            Appointment.physician_id,
            _physician_name,
            _lagos_day,
            Appointment.appointment_time,
            Appointment.appointment_type,
            Appointment.consultation_type,
            Appointment.consultation_type == "virtual",
            Appointment.status,
            Appointment.notes,
            Appointment.created_at,
        )
        .join(User, User.id == Appointment.patient_id)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .join(PhysicianProfile, PhysicianProfile.id == Appointment.physician_id)
        .outerjoin(Hospital, Hospital.id == Appointment.hospital_id)
    )


def _row(db: Session, appointment_id: str) -> AppointmentRow:
    return AppointmentRow(*db.execute(_select().where(Appointment.id == appointment_id)).one())


def _listing(
    actor: Actor,
    start: Any,
    end: Any,
    physician_id: str | None,
    status: str | None,
    consultation_type: str | None,
    search: str,
    *,
    now: datetime | None = None,
) -> Select:
    start, end = checked_range(start, end)
    stmt = _select().where(*_dated_within(start, end))
    if physician_id is not None:
        if not usable_id(physician_id):
            raise InvalidInput("Pick a physician from the list.")
        stmt = stmt.where(Appointment.physician_id == physician_id)
    if status is not None:
        if status not in APPOINTMENT_STATUSES:
            raise InvalidInput("Pick a status from the list.")
        stmt = stmt.where(Appointment.status == status)
    if consultation_type is not None:
        if consultation_type not in CONSULTATION_TYPES:
            raise InvalidInput("Pick in person or virtual.")
        stmt = stmt.where(Appointment.consultation_type == consultation_type)
    search = (search if isinstance(search, str) else "").strip()
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(or_(_patient_name.ilike(pattern), User.email.ilike(pattern)))
    return limit_to_scope(stmt, actor, Appointment.hospital_id).order_by(
        *_list_order(now), _physician_name, Appointment.id
    )


def _list_order(now: datetime | None = None) -> tuple[Any, ...]:
    """Upcoming appointments first, the next one at the top; then past ones, the latest first.

    A reader opens the list to see who is coming; a range that ends today used to open at its oldest
    day, weeks back. Past ones follow newest first, so yesterday's sit just below today's. By the slot
    (Lagos day and "HH:MM" time), not by appointment_date: some clients stamp it at midnight.
    """
    now = (now or datetime.now(LAGOS)).astimezone(LAGOS)
    past = or_(
        _lagos_day < now.date(),
        and_(_lagos_day == now.date(), Appointment.appointment_time < f"{now:%H:%M}"),
    )
    return (
        past,  # false, upcoming, sorts first
        case((~past, _lagos_day)).asc(),
        case((~past, Appointment.appointment_time)).asc(),
        case((past, _lagos_day)).desc(),
        case((past, Appointment.appointment_time)).desc(),
    )


def _conditions(
    actor: Actor, start: Any, end: Any, physician_id: str | None, status: str | None, consultation_type: str | None
) -> Select:
    """The list's filters on appointments alone (no join), scoped: what the count and the page's ids need."""
    start, end = checked_range(start, end)
    stmt = select(Appointment.id).where(*_dated_within(start, end))
    if physician_id is not None:
        stmt = stmt.where(Appointment.physician_id == physician_id)
    if status is not None:
        stmt = stmt.where(Appointment.status == status)
    if consultation_type is not None:
        stmt = stmt.where(Appointment.consultation_type == consultation_type)
    return limit_to_scope(stmt, actor, Appointment.hospital_id)


def _unsearched_page(
    db: Session,
    actor: Actor,
    start: Any,
    end: Any,
    physician_id: str | None,
    status: str | None,
    consultation_type: str | None,
    *,
    page: int,
    page_size: int,
    now: datetime | None = None,
) -> tuple[list, int, int, int]:
    """`fetch_page` of the list without search text, the same rows and total, without the joins on every row.

    The count reads appointments only: every appointment has its patient and physician (foreign keys),
    so the list's inner joins drop none, and its hospital join is an outer one. The page's ids come
    from appointments alone too, in the list's order by slot (`_list_order`), WITH TIES so every
    appointment level with the last one is kept; only those are joined to names and put in the full order.
    """
    conditions = _conditions(actor, start, end, physician_id, status, consultation_type)
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    total = db.scalar(select(func.count()).select_from(conditions.subquery())) or 0
    last_page = max(1, -(-total // page_size))
    page = max(1, min(int(page), last_page))
    offset = (page - 1) * page_size
    order = _list_order(now)
    ids = conditions.order_by(*order).fetch(offset + page_size, with_ties=True)
    stmt = (
        _select()
        .where(Appointment.id.in_(ids.scalar_subquery()))
        .order_by(*order, _physician_name, Appointment.id)
        .limit(page_size)
        .offset(offset)
    )
    return db.execute(stmt).all(), total, page, page_size


def _filters(start, end, physician_id, status, consultation_type, search) -> dict[str, Any]:
    return {
        "start": start,
        "end": end,
        "physician_id": physician_id,
        "status": status,
        "consultation_type": consultation_type,
        "search": (search if isinstance(search, str) else "").strip() or None,
    }


def _dated_within(start: date, end: date) -> tuple[Any, Any]:
    # A range on the column itself (not on its Lagos date), so the (hospital_id, appointment_date) index serves it.
    return (
        Appointment.appointment_date >= lagos_midnight(start),
        Appointment.appointment_date < lagos_midnight(end + timedelta(days=1)),
    )


def _active_physicians(db: Session, hospital_id: str) -> list[PhysicianChoice]:
    name = func.coalesce(_name(Profile), "(no name)")
    stmt = (
        select(Profile.id, name, Profile.specialization)
        .where(Profile.role == UserRole.PHYSICIAN, Profile.hospital_id == hospital_id, Profile.is_active)
        .order_by(name, Profile.id)
    )
    return [PhysicianChoice(*r) for r in db.execute(stmt)]


def _physician_of(db: Session, physician_id: str, hospital_id: str | None, hospital_name: str) -> Profile:
    physician = None
    if usable_id(physician_id):
        physician = db.scalar(select(Profile).where(Profile.id == physician_id, Profile.role == UserRole.PHYSICIAN))
    # A physician of another hospital is not named: their name is that hospital's business.
    if physician is None or hospital_id is None or physician.hospital_id != hospital_id:
        raise InvalidInput(f"That doctor is not a physician of {hospital_name}. Pick one of its physicians.")
    if not physician.is_active:
        raise InvalidInput(f"{_doctor(physician)} is no longer active at {hospital_name}. Pick another physician.")
    return physician


def _patient(db: Session, patient_id: str) -> str:
    row = None
    if usable_id(patient_id):
        row = db.execute(
            select(_name(Profile), User.email, Profile.role)
            .select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.id == patient_id)
        ).first()
    if row is None:
        raise NotFound("That patient no longer exists. Search for them again.")
    if row[2] is not UserRole.PATIENT:
        raise InvalidInput(f"{row[0] or row[1]} is not registered as a patient. Pick a patient account.")
    return row[0] or row[1]


def _doctor(physician: Profile) -> str:
    name = " ".join(p for p in (physician.first_name, physician.last_name) if p and p.strip())
    return f"Dr. {name}" if name else "The physician"


def _doctor_of(db: Session, physician_id: str) -> str:
    physician = db.get(Profile, physician_id)
    return _doctor(physician) if physician is not None else "The physician"


def _bookable_slot(doctor: str, day: Any, slot_time: Any) -> str:
    """The slot as "HH:MM", once it is a time on the grid, within clinic hours, from now to a year ahead."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidInput("Pick the day of the appointment.")
    if isinstance(slot_time, time):
        slot_time = f"{slot_time.hour:02d}:{slot_time.minute:02d}"
    slot_time = slot_time.strip() if isinstance(slot_time, str) else ""
    if not _TIME.match(slot_time):
        raise InvalidInput("Enter the time of the appointment as HH:MM, for example 10:00.")
    if slot_time not in SLOT_TIMES:
        hours, minutes = int(slot_time[:2]), int(slot_time[3:])
        opens, last = SLOT_TIMES[0], SLOT_TIMES[-1]
        if not CLINIC_OPENS <= time(hours, minutes) < CLINIC_CLOSES:
            raise InvalidInput(
                f"{doctor} sees patients from {opens} to {CLINIC_CLOSES:%H:%M}, and {slot_time} on {day_text(day)} "
                f"is outside those hours. Pick a time from {opens} to {last}."
            )
        raise InvalidInput(
            f"{doctor} can be booked every {SLOT_MINUTES} minutes from {opens}, and {slot_time} on "
            f"{day_text(day)} is not one of those times. Pick a time such as {_nearest_slot(hours, minutes)}."
        )
    today = datetime.now(LAGOS).date()
    if day < today:
        raise InvalidInput(
            f"{day_text(day)} has passed, so {doctor} cannot be booked at {slot_time} that day. "
            "Pick today or a later date."
        )
    if _slot_moment(day, slot_time) <= datetime.now(UTC):
        raise InvalidInput(f"{slot_time} on {day_text(day)} has already passed. Pick a later time for {doctor}.")
    if (day - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput(
            f"{doctor} cannot be booked on {day_text(day)}, more than a year ahead. "
            f"Pick a date up to {day_text(today + timedelta(days=MAX_DAYS_AHEAD))}."
        )
    return slot_time


def _nearest_slot(hours: int, minutes: int) -> str:
    wanted = hours * 60 + minutes
    return min(SLOT_TIMES, key=lambda t: abs(int(t[:2]) * 60 + int(t[3:]) - wanted))


def _require_free(
    db: Session, physician_id: str, day: date, slot_time: str, doctor: str, *, besides: str | None = None
) -> None:
    """Refuse a slot the physician already holds (at any hospital: a doctor is in one place at a time)."""
    # Matches the index of migration 0006 exactly: the Lagos day of appointment_date, and the time.
    stmt = select(Appointment.id).where(
        Appointment.physician_id == physician_id,
        _lagos_day == day,
        Appointment.appointment_time == slot_time,
        _not_cancelled,
    )
    if besides is not None:
        stmt = stmt.where(Appointment.id != besides)
    if db.scalar(stmt.limit(1)) is not None:
        _refuse_taken(doctor, day, slot_time)


def _refuse_taken(doctor: str, day: date, slot_time: str) -> NoReturn:
    raise InvalidInput(f"{doctor} already has an appointment at {slot_time} on {day_text(day)}. Pick another time.")


def _write_slot(db: Session, doctor: str, day: date, slot_time: str, change) -> None:
    """Make `change` (a new or moved appointment) and flush it in a savepoint, so a lost race undoes only it.

    Two bookings of one slot at the same moment both pass `_require_free`; the index lets one in, the
    other's insert waits for it and then fails. That failure, and only that one, is the taken-slot sentence.
    """
    try:
        with db.begin_nested():
            change()
            db.flush()
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) == SLOT_INDEX:
            _refuse_taken(doctor, day, slot_time)
        raise


def _notify(db: Session, user_id: str, kind: str, title: str, message: str) -> None:
    db.add(Notification(user_id=user_id, type=kind, title=title, message=message))


def _lock(db: Session, actor: Actor, appointment_id: str) -> Appointment:
    appointment = None
    if usable_id(appointment_id):
        appointment = db.scalars(
            select(Appointment)
            .where(Appointment.id == appointment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    if appointment is None:
        raise NotFound("That appointment no longer exists.")
    require_in_scope(
        db, actor, resource_type=RESOURCE_TYPE, resource_id=appointment.id, row_hospital_id=appointment.hospital_id
    )
    return appointment


def _about(db: Session, appointment: Appointment) -> str:
    """The phrase "Amaka Eze's appointment with Dr. Ada Obi at 10:00 on 26 Nov 2026", for sentences."""
    patient = db.scalar(
        select(func.coalesce(_name(Profile), User.email))
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id == appointment.patient_id)
    )
    return (
        f"{patient or 'the patient'}'s appointment with {_doctor_of(db, appointment.physician_id)} at "
        f"{appointment.appointment_time} on {day_text(_appointment_day(appointment))}"
    )


def _capital(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]  # not str.capitalize, which would lower-case the names in it


def _refuse_status(appointment: Appointment, about: str, rule: str) -> NoReturn:
    raise InvalidInput(f"{rule}; {about} {STATUS_WORDS.get(appointment.status, appointment.status)}.")


def _change_status(
    db: Session,
    actor: Actor,
    appointment: Appointment,
    about: str,
    new_status: str,
    action_type: str,
    *,
    extra: dict[str, Any] | None = None,
    impact: str = "low",
) -> AppointmentRow:
    old_status = appointment.status
    appointment.status = new_status
    session = db.scalars(
        select(ConsultationSession).where(ConsultationSession.appointment_id == appointment.id).with_for_update()
    ).first()
    session_status = None
    if session is not None:
        # The video session follows its appointment: held for a confirmed one, closed with a closed one.
        session_status = {"cancelled": "cancelled", "no_show": "cancelled", "completed": "completed"}.get(new_status)
        if session_status is not None and session.status in ("scheduled", "in_progress"):
            session.status = session_status
            if session.room is not None and session.room.room_status != "completed":
                session.room.room_status = "completed"
        else:
            session_status = None
    if new_status == "confirmed":
        _notify(
            db,
            appointment.patient_id,
            "success",
            "Appointment confirmed",
            f"Your appointment with {_doctor_of(db, appointment.physician_id)} at {appointment.appointment_time} on "
            f"{day_text(_appointment_day(appointment))} is confirmed.",
        )
    db.flush()
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type=action_type,
        resource_type=RESOURCE_TYPE,
        resource_id=appointment.id,
        old_values={"status": old_status},
        new_values={
            "status": new_status,
            "patient_id": appointment.patient_id,
            **({"consultation_session_status": session_status} if session_status else {}),
            **(extra or {}),
        },
        impact_level=impact,
        concerns_hospital=appointment.hospital_id,
    )
    return _row(db, appointment.id)


def _appointment_day(appointment: Appointment) -> date:
    return appointment.appointment_date.astimezone(LAGOS).date()


def _starts_at(appointment: Appointment) -> datetime:
    # appointment_date may be a midnight (other clients write it so); the time of day is appointment_time.
    hours, _, minutes = appointment.appointment_time.partition(":")
    return datetime.combine(_appointment_day(appointment), time(int(hours), int(minutes)), tzinfo=LAGOS)


def _slot_moment(day: date, slot_time: str) -> datetime:
    return datetime.combine(day, time(int(slot_time[:2]), int(slot_time[3:])), tzinfo=LAGOS)


