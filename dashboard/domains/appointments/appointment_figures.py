"""Appointments' figures over a range: per day by status, by month, the virtual share, the rates, the busiest.

They count the same appointments the list shows for the range and scope (dated from `start` to `end`,
every status), so the page's cards can be checked against the list beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.appointments.records import (
    PhysicianProfile,
    dated_within,
    lagos_day,
    not_cancelled,
    physician_name,
)
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range
from dashboard.platform.scope import limit_to_scope
from db.models import Appointment, Hospital
from db.vocab import APPOINTMENT_STATUSES

MAX_BUSIEST = 50


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


@dataclass(frozen=True)
class AppointmentFigures:
    """The page's figures from one pass over the range's appointments (see `figures`)."""

    per_day: list[DayByStatus]
    monthly: list[MonthRates]
    share: VirtualShare
    totals: RangeRates  # the cards: the whole range, the same appointments as the list


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


def _rates(total: int, cancelled: int, completed: int, no_show: int) -> tuple[float | None, float | None]:
    outcomes = completed + no_show
    return (cancelled / total if total else None, no_show / outcomes if outcomes else None)


@permissions.reads("appointments", "see appointment figures")
def figures(db: Session, actor: Actor, *, start: date, end: date) -> AppointmentFigures:
    """Per day by status, by month, the virtual share and the whole range's rates, from one statement.

    They read the same rows (appointments dated from `start` to `end`, the rows `list_appointments`
    shows for that range and scope); one GROUP BY ROLLUP of the Lagos day with a FILTER per figure
    reads them once: a row per day, and the range's totals counted by the database in the same pass.
    The months and the share are sums of the days.
    """
    start, end = checked_range(start, end)
    stmt = limit_to_scope(
        select(
            func.grouping(lagos_day),
            lagos_day,
            *[func.count().filter(Appointment.status == s) for s in APPOINTMENT_STATUSES],
            func.count(),
            func.count().filter(not_cancelled, Appointment.consultation_type == "virtual"),
            func.count().filter(not_cancelled, Appointment.consultation_type != "virtual"),
        )
        .where(*dated_within(start, end))
        .group_by(func.rollup(lagos_day)),
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


@permissions.reads("appointments", "see appointment figures")
def busiest_physicians(db: Session, actor: Actor, *, start: date, end: date, limit: int = 10) -> list[PhysicianLoad]:
    """The physicians with the most appointments (not cancelled) dated from `start` to `end`, busiest first."""
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
            .where(*dated_within(start, end), not_cancelled)
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
            physician_name,
            PhysicianProfile.specialization,
            Hospital.name,
            loads.c.booked,
            loads.c.completed,
            loads.c.no_show,
            loads.c.virtual,
        )
        .join(PhysicianProfile, PhysicianProfile.id == loads.c.physician_id)
        .outerjoin(Hospital, Hospital.id == PhysicianProfile.hospital_id)
        .order_by(loads.c.booked.desc(), physician_name, loads.c.physician_id)
    )
    return [PhysicianLoad(*r) for r in db.execute(stmt.limit(limit))]
