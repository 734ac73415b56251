"""How long the patients called today waited: the distribution by priority and the median against the week before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from dashboard.domains.floor.waitlist_queue import arrived, wait_minutes
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, lagos_midnight
from dashboard.platform.scope import limit_to_scope
from db.models import PatientWaitlist
from db.settings import WAIT_PRIORITIES

# Histogram buckets of a wait, in minutes: [lower, upper); the last has no upper end.
WAIT_BUCKETS: tuple[tuple[float, float | None], ...] = ((0, 15), (15, 30), (30, 60), (60, 120), (120, None))


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


@permissions.reads("waitlist", "see waiting times")
def wait_distribution(db: Session, actor: Actor, *, day: date | None = None) -> list[WaitBucket]:
    """How long the patients called on `day` (Lagos) waited, by priority, in WAIT_BUCKETS; zero buckets included."""
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


def by_wait(buckets: list[WaitBucket]) -> dict[str, dict[str, int]]:
    """The distribution as {bucket label: {priority: patients}}, buckets shortest first, every priority in each."""
    table: dict[str, dict[str, int]] = {}
    for b in buckets:
        table.setdefault(b.label, dict.fromkeys(WAIT_PRIORITIES, 0))[b.priority] += b.patients
    return table


def _bucket_label(lower: float, upper: float | None) -> str:
    return f"{lower:g}+ min" if upper is None else f"{lower:g}–{upper:g} min"


@permissions.reads("waitlist", "see waiting times")
def median_waits(db: Session, actor: Actor, *, today: date | None = None) -> MedianWaits:
    """The median wait of patients called today, and over the 7 days before, in minutes."""
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
