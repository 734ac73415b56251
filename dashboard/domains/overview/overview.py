"""The Overview page's figures: a few scoped counts and cards, and who is late reporting; aggregated in SQL.

Each card of `overview_figures` is a `Figure`: a value, what it is compared with, and a status where
the settings give a threshold. Decisions the page relies on:

- Bed occupancy is compared with the whole network's occupancy (an aggregate, no other hospital's rows);
  a network-wide actor already sees the network, so their comparison is None. Free beds have no
  comparison: past bed counts are not kept, so "a week ago" cannot be known.
- A "document awaiting verification" is a `documents` row with verification_status 'pending' whose
  owner's profile belongs to a hospital in scope (a network-wide actor sees every pending document).
  Hospitals whose own verification_status is 'pending' are a separate card, meaningful to network
  administrators (a hospital-scoped actor sees their own hospital, 0 or 1).
- "The last 7 days" are today and the 6 Lagos days before, against the 7 days before those; the
  median wait compares today with the 7 days before today.
- Beds count only at active hospitals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Integer, cast, func, literal, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import INTERVAL, TIMESTAMP
from sqlalchemy.orm import Session

from dashboard.domains.emergencies import emergency, open_list
from dashboard.domains.floor import bed_figures, waitlist_queue, waitlist_waits
from dashboard.domains.governance import verification
from dashboard.domains.money import month_figures
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, lagos_midnight
from dashboard.platform.scope import limit_to_scope
from db.models import (
    Appointment,
    EmergencyRequest,
    Hospital,
    HospitalComplianceTracking,
    HospitalFinancialData,
    HospitalResource,
    PatientWaitlist,
)
from db.settings import Level, Settings, current

OPEN_EMERGENCY_STATUSES = emergency.OPEN_STATUSES  # one definition: the Emergencies page's


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


@permissions.reads("overview", "see the overview", replica=True)
def overview_counts(db: Session, actor: Actor, *, today: date | None = None) -> OverviewCounts:
    today = today or datetime.now(LAGOS).date()
    this_month, last_month, last_month_cut, tomorrow = _month_to_date(today)

    hospitals = db.scalar(
        limit_to_scope(select(func.count()).select_from(Hospital).where(Hospital.is_active), actor, Hospital.id)
    )
    appointments = db.execute(
        limit_to_scope(
            select(
                func.count().filter(Appointment.appointment_date >= this_month),
                func.count().filter(Appointment.appointment_date < last_month_cut),
            ).where(
                Appointment.appointment_date >= last_month,
                Appointment.appointment_date < tomorrow,
                Appointment.status != "cancelled",
            ),
            actor,
            Appointment.hospital_id,
        )
    ).one()
    waiting = waitlist_queue.waiting_now(db, actor).waiting
    open_now = open_list.open_counts(db, actor)
    return OverviewCounts(
        active_hospitals=hospitals or 0,
        appointments_this_month=appointments[0],
        appointments_last_month=appointments[1],
        patients_waiting=waiting or 0,
        open_emergencies=open_now.open,
        critical_emergencies=open_now.critical,
        month_start=_month_start(today),
    )


# --- The Overview's cards ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One card: its value, what it is compared with (None: nothing fair to compare), and a status.

    status is "alert" past the threshold's raise level, "watch" between its clear and raise levels
    (an alert raised earlier still stands there), "ok" otherwise; None where no threshold exists.
    """

    value: int | float | Decimal | None
    comparison: int | float | Decimal | None = None
    status: str | None = None

    @property
    def change(self) -> int | float | Decimal | None:
        if self.value is None or self.comparison is None:
            return None
        return self.value - self.comparison


@dataclass(frozen=True)
class OverviewFigures:
    day: date  # "today" in Lagos
    month_start: date
    free_beds: Figure  # available beds now; status from settings.low_availability on the free share of usable beds
    bed_occupancy_percent: Figure  # in use / (total - maintenance); vs the network's; status from settings.occupancy
    patients_waiting: Figure  # waiting now; status "alert" while anyone waits past their priority's target
    patients_over_target: int
    median_wait_minutes: Figure  # patients called today vs the 7 days before
    appointments_today: Figure  # not cancelled; vs the same weekday last week
    open_emergencies: Figure  # pending, dispatched or in progress
    critical_emergencies: Figure  # open and critical; status "alert" while any
    emergencies_opened_7_days: Figure  # opened today and the 6 days before vs the 7 days before those
    revenue_month_to_date: Figure | None  # month_figures.month_to_date; None for a role that does not read finances
    period_label: str  # the month so far, "1–7 Dec" ("" without revenue)
    comparison_label: str  # the same days of the month before, "1–7 Nov"
    documents_awaiting_verification: Figure
    hospitals_awaiting_verification: Figure


def _status(level: Level, value: float | None) -> str | None:
    if value is None:
        return None
    if level.breached(value):
        return "alert"
    return "watch" if level.breached(value, was_raised=True) else "ok"


def _month_to_date(today: date) -> tuple[datetime, datetime, datetime, datetime]:
    """(this month's start, last month's start, the cut of last month's same days, tomorrow), as Lagos midnights."""
    this_month = _month_start(today)
    last_month = _previous_month_start(today)
    tomorrow = today + timedelta(days=1)
    # Month to date against the same number of days last month (cut at its end: 31 Mar vs 28 Feb).
    last_month_cut = min(last_month + (tomorrow - this_month), this_month)
    return tuple(lagos_midnight(d) for d in (this_month, last_month, last_month_cut, tomorrow))  # type: ignore[return-value]


def _percent(part: int | None, whole: int | None) -> float | None:
    return None if not whole or whole <= 0 else 100.0 * (part or 0) / whole


def _appointments_today(
    db: Session, actor: Actor, midnight: datetime, tomorrow: datetime, week_ago: datetime, today: date
) -> tuple[int, int]:
    """(today's appointments, those of the same weekday last week), cancelled ones left out.

    Two days out of the whole table: the (hospital_id, appointment_date) index finds them. A hospital's
    scope uses it as it is; the network's has no hospital to lead with, so it is counted hospital by
    hospital (a lateral index lookup each), and the appointments with no hospital by themselves.
    """
    week_ago_end = lagos_midnight(today - timedelta(days=6))

    def counts(*where):
        return select(
            func.count().filter(Appointment.appointment_date >= midnight).label("today"),
            func.count().filter(Appointment.appointment_date < week_ago_end).label("week_ago"),
        ).where(
            or_(
                (Appointment.appointment_date >= midnight) & (Appointment.appointment_date < tomorrow),
                (Appointment.appointment_date >= week_ago) & (Appointment.appointment_date < week_ago_end),
            ),
            Appointment.status != "cancelled",
            *where,
        )

    if not actor.network_wide:
        row = db.execute(limit_to_scope(counts(), actor, Appointment.hospital_id)).one()
        return row[0], row[1]
    per_hospital = counts(Appointment.hospital_id == Hospital.id).lateral("per_hospital")
    parts = union_all(
        select(per_hospital.c.today, per_hospital.c.week_ago).select_from(Hospital).join(per_hospital, literal(True)),
        counts(Appointment.hospital_id.is_(None)),
    ).subquery("parts")
    row = db.execute(
        select(func.coalesce(func.sum(parts.c.today), 0), func.coalesce(func.sum(parts.c.week_ago), 0))
    ).one()
    return int(row[0]), int(row[1])


@permissions.reads("overview", "see the overview", replica=True)
def overview_figures(
    db: Session, actor: Actor, *, today: date | None = None, values: Settings | None = None
) -> OverviewFigures:
    values = values or current()
    today = today or datetime.now(LAGOS).date()
    tomorrow = lagos_midnight(today + timedelta(days=1))
    midnight = lagos_midnight(today)
    week_ago = lagos_midnight(today - timedelta(days=7))
    fortnight_ago = lagos_midnight(today - timedelta(days=13))
    seven_days = lagos_midnight(today - timedelta(days=6))

    beds = bed_figures.bed_totals(db, actor)  # the one source of free beds and occupancy (Resources & beds too)
    available, usable, occupancy = beds.available, beds.usable, beds.occupancy
    network_occupancy = None
    if not actor.network_wide:
        # An aggregate of the whole network, for comparison only: no other hospital's rows are shown.
        # Through a function the database runs as its owner: row-level security keeps this scope's
        # transaction from other hospitals' rows, and only the two sums come back.
        network_in_use, network_usable = db.execute(text("SELECT * FROM healthdash_network_bed_totals()")).one()
        network_occupancy = _percent(network_in_use, network_usable)

    # The Waitlist's own reads: its "Waiting now" and "Past the wait target" cards are these same figures.
    queue_now = waitlist_queue.waiting_now(db, actor, values=values)
    waiting, over_target = queue_now.waiting, queue_now.over_target
    median_today, _, median_before, _ = db.execute(
        limit_to_scope(
            select(*waitlist_waits.median_wait_columns(today)).where(
                (PatientWaitlist.called_at >= week_ago) & (PatientWaitlist.called_at < tomorrow)
            ),
            actor,
            PatientWaitlist.hospital_id,
        )
    ).one()

    appointments = _appointments_today(db, actor, midnight, tomorrow, week_ago, today)

    # Open and critical: the Emergencies page's own count (the list under its card), so the two agree.
    open_now = open_list.open_counts(db, actor)
    opened = db.execute(
        limit_to_scope(
            select(
                func.count().filter(EmergencyRequest.created_at >= seven_days),
                func.count().filter(EmergencyRequest.created_at < seven_days),
            ).where(EmergencyRequest.created_at >= fortnight_ago, EmergencyRequest.created_at < tomorrow),
            actor,
            EmergencyRequest.hospital_id,
        )
    ).one()

    # Revenue is the Financials page's own figure for the month so far (one source, agreeing to the
    # kobo); roles that may not read finances (compliance officers) get no revenue card at all.
    reads_money = actor.role in permissions.readers("financials")
    month = month_figures.month_to_date(db, actor, today=today) if reads_money else None

    # The Verification page's own counts, by the queries that list its queues.
    awaiting = verification.awaiting_counts(db, actor)

    return OverviewFigures(
        day=today,
        month_start=_month_start(today),
        free_beds=Figure(available, None, _status(values.low_availability, _percent(available, usable))),
        bed_occupancy_percent=Figure(occupancy, network_occupancy, _status(values.occupancy, occupancy)),
        patients_waiting=Figure(waiting, None, "alert" if over_target else "ok"),
        patients_over_target=over_target,
        median_wait_minutes=Figure(
            None if median_today is None else float(median_today),
            None if median_before is None else float(median_before),
        ),
        appointments_today=Figure(appointments[0], appointments[1]),
        open_emergencies=Figure(open_now.open),
        critical_emergencies=Figure(open_now.critical, None, "alert" if open_now.critical else "ok"),
        emergencies_opened_7_days=Figure(opened[0], opened[1]),
        revenue_month_to_date=None
        if month is None
        else Figure(month.revenue.now or Decimal(0), month.revenue.last_month),
        period_label=month.this.short_label if month else "",
        comparison_label=month.last_month.short_label if month else "",
        documents_awaiting_verification=Figure(awaiting.documents),
        hospitals_awaiting_verification=Figure(awaiting.hospitals),
    )


# --- Reporting completeness -------------------------------------------------------------------------


@dataclass(frozen=True)
class Lateness:
    """One kind of report of one hospital: when it last came, and how late the next one is."""

    last: datetime | None  # None: never reported
    expected_every: timedelta
    late_by: timedelta | None  # how long past due; None when on time or never reported

    @property
    def never(self) -> bool:
        return self.last is None

    @property
    def status(self) -> str:
        """ "never", "late" or "on_time"."""
        if self.last is None:
            return "never"
        return "late" if self.late_by is not None else "on_time"


@dataclass(frozen=True)
class HospitalReporting:
    hospital_id: str
    hospital_name: str
    beds: Lateness  # last update of any of its bed resources
    finance: Lateness  # last financial record's transaction date
    compliance: Lateness  # last compliance assessment

    @property
    def overdue_reports(self) -> int:
        return sum(r.status != "on_time" for r in (self.beds, self.finance, self.compliance))


@permissions.reads("overview", "see reporting completeness", replica=True)
def reporting_completeness(
    db: Session, actor: Actor, *, now: datetime | None = None, values: Settings | None = None
) -> list[HospitalReporting]:
    """Every active hospital in scope with its last bed, finance and compliance reports, most overdue first.

    Order: hospitals with more reports never made first, then by the longest time any report is past
    due, then by name. A hospital-scoped actor gets their own hospital only.
    """
    values = values or current()
    now = now or datetime.now(UTC)
    periods = (
        timedelta(hours=values.beds_report_hours),
        timedelta(days=values.finance_report_days),
        timedelta(days=values.compliance_report_days),
    )
    beds = (
        select(HospitalResource.hospital_id, func.max(HospitalResource.updated_at).label("last"))
        .where(HospitalResource.category == "beds")
        .group_by(HospitalResource.hospital_id)
        .subquery("beds")
    )
    finance = (
        select(HospitalFinancialData.hospital_id, func.max(HospitalFinancialData.transaction_date).label("last"))
        .group_by(HospitalFinancialData.hospital_id)
        .subquery("finance")
    )
    compliance = (
        select(
            HospitalComplianceTracking.hospital_id,
            func.max(
                func.coalesce(HospitalComplianceTracking.last_assessment_date, HospitalComplianceTracking.created_at)
            ).label("last"),
        )
        .group_by(HospitalComplianceTracking.hospital_id)
        .subquery("compliance")
    )
    at = literal(now, TIMESTAMP(timezone=True))
    reports = (beds, finance, compliance)
    never_count = sum(cast(report.c.last.is_(None), Integer) for report in reports)
    # greatest() skips NULLs: the longest time any report that was ever made is past due.
    worst_past_due = func.greatest(
        *(at - report.c.last - literal(period, INTERVAL()) for report, period in zip(reports, periods, strict=True))
    )
    stmt = (
        select(Hospital.id, Hospital.name, beds.c.last, finance.c.last, compliance.c.last)
        .outerjoin(beds, beds.c.hospital_id == Hospital.id)
        .outerjoin(finance, finance.c.hospital_id == Hospital.id)
        .outerjoin(compliance, compliance.c.hospital_id == Hospital.id)
        .where(Hospital.is_active)
        .order_by(never_count.desc(), worst_past_due.desc().nulls_last(), Hospital.name, Hospital.id)
    )
    rows = db.execute(limit_to_scope(stmt, actor, Hospital.id)).all()
    return [
        HospitalReporting(
            hospital_id=hospital_id,
            hospital_name=name,
            beds=_lateness(last_beds, periods[0], now),
            finance=_lateness(last_finance, periods[1], now),
            compliance=_lateness(last_compliance, periods[2], now),
        )
        for hospital_id, name, last_beds, last_finance, last_compliance in rows
    ]


def _lateness(last: datetime | None, period: timedelta, now: datetime) -> Lateness:
    if last is None:
        return Lateness(None, period, None)
    past_due = now - last - period
    return Lateness(last, period, past_due if past_due > timedelta(0) else None)
