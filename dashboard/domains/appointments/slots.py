"""The booking rule: a physician's slot on the grid, bookable from now to a year ahead, held by one appointment.

A physician's slot (their Lagos day and "HH:MM" time) holds at most one appointment that is not
cancelled. `require_free` refuses a taken one with a clear sentence, and the database enforces it (the
partial unique index of migration 0006), so two administrators booking the same slot at the same moment
cannot both succeed: the second's insert waits for the first, then fails on the index (`write_slot`),
and gets the same sentence.

Bookings are made on a grid of SLOT_MINUTES within clinic hours (CLINIC_OPENS to CLINIC_CLOSES, Lagos
time; db.rules, which the demo books on too). It is not a setting: it is the booking rule the refusals
quote, and the platform's other clients may book other times (the schedule shows those too, off the grid).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.appointments.records import lagos_day, not_cancelled
from dashboard.platform.dates import LAGOS, day_text
from dashboard.platform.errors import InvalidInput
from db.models import Appointment
from db.rules import CLINIC_CLOSES, CLINIC_OPENS, SLOT_MINUTES, SLOT_TIMES

# The unique index of migration 0006; its violation, and only its, is a taken slot.
SLOT_INDEX = "uq_appointments_physician_slot"
MAX_DAYS_AHEAD = 365  # a booking further ahead is a mistyped year
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def bookable_slot(doctor: str, day: Any, slot_time: Any) -> str:
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
    if slot_moment(day, slot_time) <= datetime.now(UTC):
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


def require_free(
    db: Session, physician_id: str, day: date, slot_time: str, doctor: str, *, besides: str | None = None
) -> None:
    """Refuse a slot the physician already holds (at any hospital: a doctor is in one place at a time)."""
    # Matches the index of migration 0006 exactly: the Lagos day of appointment_date, and the time.
    stmt = select(Appointment.id).where(
        Appointment.physician_id == physician_id,
        lagos_day == day,
        Appointment.appointment_time == slot_time,
        not_cancelled,
    )
    if besides is not None:
        stmt = stmt.where(Appointment.id != besides)
    if db.scalar(stmt.limit(1)) is not None:
        _refuse_taken(doctor, day, slot_time)


def _refuse_taken(doctor: str, day: date, slot_time: str) -> NoReturn:
    raise InvalidInput(f"{doctor} already has an appointment at {slot_time} on {day_text(day)}. Pick another time.")


def write_slot(db: Session, doctor: str, day: date, slot_time: str, change: Callable[[], None]) -> None:
    """Make `change` (a new or moved appointment) and flush it in a savepoint, so a lost race undoes only it.

    Two bookings of one slot at the same moment both pass `require_free`; the index lets one in, the
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


def slot_moment(day: date, slot_time: str) -> datetime:
    return datetime.combine(day, time(int(slot_time[:2]), int(slot_time[3:])), tzinfo=LAGOS)


def appointment_day(appointment: Appointment) -> date:
    return appointment.appointment_date.astimezone(LAGOS).date()


def starts_at(appointment: Appointment) -> datetime:
    # appointment_date may be a midnight (other clients write it so); the time of day is appointment_time.
    hours, _, minutes = appointment.appointment_time.partition(":")
    return datetime.combine(appointment_day(appointment), time(int(hours), int(minutes)), tzinfo=LAGOS)
