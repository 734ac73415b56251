"""The Overview page's figures: a few scoped counts, aggregated in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.services import permissions
from dashboard.services.actors import Actor
from dashboard.services.scope import limit_to_scope, require_role
from db.models import Appointment, EmergencyRequest, Hospital, PatientWaitlist

LAGOS = ZoneInfo("Africa/Lagos")
OPEN_EMERGENCY_STATUSES = ("pending", "dispatched", "in_progress")


@dataclass(frozen=True)
class OverviewCounts:
    active_hospitals: int
    appointments_this_month: int  # from the 1st to today, inclusive
    appointments_last_month: int  # the same days of the previous month, for a fair comparison
    patients_waiting: int
    open_emergencies: int
    critical_emergencies: int
    month_start: date


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month_start(day: date) -> date:
    first = _month_start(day)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def _lagos_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LAGOS)


def overview_counts(db: Session, actor: Actor, *, today: date | None = None) -> OverviewCounts:
    require_role(db, actor, permissions.readers("overview"), "see the overview")
    today = today or datetime.now(LAGOS).date()
    this_month = _month_start(today)
    last_month = _previous_month_start(today)
    tomorrow = today + timedelta(days=1)
    # Month to date against the same number of days last month (cut at its end: 31 Mar vs 28 Feb).
    last_month_cut = min(last_month + (tomorrow - this_month), this_month)

    hospitals = db.scalar(
        limit_to_scope(select(func.count()).select_from(Hospital).where(Hospital.is_active), actor, Hospital.id)
    )
    appointments = db.execute(
        limit_to_scope(
            select(
                func.count().filter(Appointment.appointment_date >= _lagos_midnight(this_month)),
                func.count().filter(Appointment.appointment_date < _lagos_midnight(last_month_cut)),
            ).where(
                Appointment.appointment_date >= _lagos_midnight(last_month),
                Appointment.appointment_date < _lagos_midnight(tomorrow),
                Appointment.status != "cancelled",
            ),
            actor,
            Appointment.hospital_id,
        )
    ).one()
    waiting = db.scalar(
        limit_to_scope(
            select(func.count()).select_from(PatientWaitlist).where(PatientWaitlist.status == "waiting"),
            actor,
            PatientWaitlist.hospital_id,
        )
    )
    emergencies = db.execute(
        limit_to_scope(
            select(func.count(), func.count().filter(EmergencyRequest.severity == "critical")).where(
                EmergencyRequest.status.in_(OPEN_EMERGENCY_STATUSES)
            ),
            actor,
            EmergencyRequest.hospital_id,
        )
    ).one()
    return OverviewCounts(
        active_hospitals=hospitals or 0,
        appointments_this_month=appointments[0],
        appointments_last_month=appointments[1],
        patients_waiting=waiting or 0,
        open_emergencies=emergencies[0],
        critical_emergencies=emergencies[1],
        month_start=this_month,
    )
