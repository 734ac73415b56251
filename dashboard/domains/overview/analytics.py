"""The metric explorer over analytics_data: which metrics exist, and their series by day, week or month.

Everything is aggregated in the database: a series comes back as one row per metric, hospital and
period (never the daily rows), at most MAX_POINTS of them, and its summary statistics (mean, median,
minimum, maximum and the trend, a least-squares slope) are computed there too from the same periods.

The metric list comes from the data, not from code: a loose index scan, so it costs an index probe
per metric name (the network) or per metric of the hospital, rather than a pass over millions of
daily rows.

Metric values carry no unit in the table, so what a metric is decides how it combines (`adds_up`).
Counts and money add up: "All hospitals" on a day is the network's total, the sum of its hospitals'
days, as the Overview counts the network (it once was the mean of every hospital-day, a per-hospital
figure of about 4 appointments beside the Overview's 135). Rates, averages and ratings do not: their
"All hospitals" is the plain mean of the hospitals that reported that day (no weights, such as beds
or patients, are reported beside them), and their days always combine by their mean. The reader
picks how a count's days combine into a week or month: the mean of the days or their total.

A week or month that the range cuts (a range from a Wednesday starts in a week begun on Monday) is
a partial period: its point stands for its days inside the range only, never scaled up to a whole
week or month, so a total of its days is smaller than a whole one's. It is kept (dropping it would
hide days that were asked for) and marked: `Exploration.partial` says which points are, and the
page draws them with open markers and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, DateTime, Float, Integer, case, cast, func, null, select, text
from sqlalchemy.orm import Session

from dashboard.platform import audit, figures, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range, lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import hospital_in_scope, limit_to_scope
from db.models import AnalyticsData, Hospital

GRAINS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}  # days a period spans, to state a trend per period
HOW = ("mean", "sum")
MAX_POINTS = 4_000  # points on one chart: a year of days for a dozen lines is already unreadable
MAX_METRICS = 6
MAX_HOSPITALS = 8
_Metric = AnalyticsData

# One index probe per (hospital, metric) pair: the pairs in index order, each found after the last.
_METRIC_PAIRS = """
WITH RECURSIVE pairs AS (
    (SELECT hospital_id, metric_name FROM analytics_data
      WHERE hospital_id IS NOT NULL {scope}
      ORDER BY hospital_id, metric_name LIMIT 1)
    UNION ALL
    SELECT next.hospital_id, next.metric_name
      FROM pairs,
           LATERAL (SELECT a.hospital_id, a.metric_name FROM analytics_data a
                     WHERE (a.hospital_id, a.metric_name) > (pairs.hospital_id, pairs.metric_name) {scope_a}
                     ORDER BY a.hospital_id, a.metric_name LIMIT 1) AS next
)
SELECT metric_name FROM pairs
"""
# The network's metrics, one index probe per name (ix_analytics_data_metric_name): analytics_data is partitioned
# by month (migration 0010), and each step of the pairs' scan above probes every month, thousands of steps.
_NETWORK_NAMES = """
WITH RECURSIVE names(metric_name) AS (
    SELECT min(metric_name) FROM analytics_data
    UNION ALL
    SELECT (SELECT min(a.metric_name) FROM analytics_data a WHERE a.metric_name > names.metric_name)
      FROM names WHERE names.metric_name IS NOT NULL
)
SELECT metric_name FROM names WHERE metric_name IS NOT NULL
"""


# The metrics the demo and the platform report that add up across hospitals and days (db/demo/metrics.py).
TOTALS = frozenset({"daily_appointments", "emergency_count", "revenue_ngn"})
_TOTAL_SUFFIXES = ("_count", "_ngn", "_total")  # a metric reported later, named as these are


def adds_up(name: str) -> bool:
    """Whether a metric is a count or an amount (hospitals' values add up) rather than a rate or an average."""
    return name in TOTALS or name.endswith(_TOTAL_SUFFIXES)


def combined_as(name: str) -> str:
    """How "All hospitals" combines the hospitals' values of a day, in words for a label."""
    return "network total" if adds_up(name) else "mean of the hospitals"


def how_all_hospitals_combine(metrics: tuple[str, ...]) -> str:
    """The network's series of these metrics in words: a total of the hospitals' days, or their mean."""
    totals = [metric_label(m) for m in metrics if adds_up(m)]
    means = [metric_label(m) for m in metrics if not adds_up(m)]
    parts = (
        f"All hospitals, for {', '.join(totals)}: the network's total, the hospitals' values of each day "
        "added up." if totals else "",
        f"All hospitals, for {', '.join(means)}: the mean of the hospitals' values of each day (a rate or "
        "an average does not add up)." if means else "",
    )  # fmt: skip
    return " ".join(part for part in parts if part)


def _twin(key: str) -> str:
    spec = figures.figure(key)
    return f"“{spec.label}”"


def elsewhere(name: str) -> str | None:
    """Where the dashboard shows the operational figure a metric mirrors, and why the two may differ."""
    notes = {
        "daily_appointments": f"{_twin('appointments_today')} on the Overview, and the Appointments page, count the "
        "appointments table itself (cancelled ones left out of today's); this chart reads each hospital's daily "
        "report of the appointments dated that day.",
        "bed_occupancy_rate": f"{_twin('bed_occupancy')} on the Overview and Resources & beds reads the wards' latest "
        "bed counts now; this chart reads each hospital's daily report.",
        "revenue_ngn": f"{_twin('revenue_month_to_date')} on Financials adds up the hospitals' ledgers; this chart "
        "reads each hospital's daily report.",
        "emergency_count": f"{_twin('open_emergencies')} on the Overview and Emergencies count the emergency requests "
        "open now; this chart reads each hospital's daily report of the requests made that day.",
        "average_wait_minutes": f"{_twin('median_wait_today')} on the Waitlist measures the queue itself; this chart "
        "reads each hospital's daily report.",
    }
    return notes.get(name)


def metric_label(name: str) -> str:
    """'bed_occupancy_rate' -> 'Bed occupancy rate'; 'revenue_ngn' -> 'Revenue (₦)'."""
    words = name.replace("_", " ").strip()
    if words.lower().endswith(" ngn"):
        words = words[:-4] + " (\u20a6)"
    return words[:1].upper() + words[1:] if words else "—"


@dataclass(frozen=True)
class Point:
    metric: str
    hospital_id: str | None  # None: every hospital in scope combined
    period: date  # the first day of the day, week (Monday) or month, Lagos
    value: Decimal | None
    samples: int  # daily rows behind the point


@dataclass(frozen=True)
class Summary:
    metric: str
    hospital_id: str | None
    periods: int
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    trend_per_period: float | None  # the least-squares slope, in the metric's units per day, week or month


@dataclass(frozen=True)
class Exploration:
    metrics: tuple[str, ...]
    grain: str
    how: str
    start: date
    end: date
    hospitals: dict[str | None, str]  # the series' hospitals in the order asked; None: all in scope
    points: list[Point]  # by metric, hospital, period
    summaries: list[Summary]
    network: bool = False  # None's series combines several hospitals (the network), not one hospital's own

    def label(self, hospital_id: str | None) -> str:
        return self.hospitals.get(hospital_id, "—")

    def series_label(self, metric: str, hospital_id: str | None) -> str:
        """The series' name with, for the network's, how its hospitals combine: "All hospitals (network total)"."""
        name = self.label(hospital_id)
        return f"{name} ({combined_as(metric)})" if hospital_id is None and self.network else name

    def period_days(self, period: date) -> tuple[int, int]:
        """(days of the period inside the range, days of the whole period): (3, 7) for a cut week."""
        if self.grain == "day":
            return 1, 1
        if self.grain == "week":
            last = period + timedelta(days=6)
        else:
            following = date(period.year + period.month // 12, period.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        inside = (min(last, self.end) - max(period, self.start)).days + 1
        return inside, (last - period).days + 1

    def partial(self, point: Point) -> bool:
        """Whether the range cuts the point's week or month: its figure is of fewer days than a whole one."""
        inside, whole = self.period_days(point.period)
        return inside < whole

    def how_of(self, metric: str) -> str:
        """How the metric's days combine into a period: as asked for a count, always their mean for a rate."""
        return self.how if adds_up(metric) else "mean"


@permissions.reads("analytics", "see analytics", replica=True)
def metric_names(db: Session, actor: Actor) -> list[str]:
    """The metrics recorded in the actor's scope, in name order."""
    if actor.network_wide:
        return sorted({row[0] for row in db.execute(text(_NETWORK_NAMES))})
    sql = _METRIC_PAIRS.format(scope="AND hospital_id = :hospital", scope_a="AND a.hospital_id = :hospital")
    return sorted({row[0] for row in db.execute(text(sql), {"hospital": actor.hospital_id})})


def _periods(start: date, end: date, grain: str) -> int:
    if grain == "day":
        return (end - start).days + 1
    if grain == "week":
        return ((end - timedelta(days=end.weekday())) - (start - timedelta(days=start.weekday()))).days // 7 + 1
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _checked(
    db: Session, actor: Actor, metrics, hospital_ids, start, end, grain, how
) -> tuple[tuple[str, ...], tuple[str, ...], date, date]:
    if grain not in GRAINS:
        raise InvalidInput("Aggregate by day, week or month.")
    if how not in HOW:
        raise InvalidInput("Combine the days by their mean or their total.")
    start, end = checked_range(start, end)  # the one limit of a range: the sidebar's and every service's
    if isinstance(metrics, str) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise InvalidInput("Pick at least one metric.")
    metrics = tuple(dict.fromkeys(metrics))
    if len(metrics) > MAX_METRICS:
        raise InvalidInput(f"Pick at most {MAX_METRICS} metrics at once.")
    known = set(metric_names(db, actor))
    for metric in metrics:
        if metric not in known:
            raise InvalidInput(f"No metric called “{metric[:60]}” is recorded in your scope. Pick one from the list.")
    hospital_ids = tuple(dict.fromkeys(hospital_ids or ()))
    if len(hospital_ids) > MAX_HOSPITALS:
        raise InvalidInput(f"Compare at most {MAX_HOSPITALS} hospitals at once.")
    for hospital_id in hospital_ids:
        hospital_in_scope(db, actor, hospital_id)  # another hospital's id is refused and audited
    points = _periods(start, end, grain) * len(metrics) * max(1, len(hospital_ids))
    if points > MAX_POINTS:
        raise InvalidInput(
            f"That is {points:,} points, more than one chart can show ({MAX_POINTS:,}). "
            "Aggregate by week or month, or pick fewer metrics, hospitals or days."
        )
    return metrics, hospital_ids, start, end


@permissions.reads("analytics", "see analytics", replica=True)
def explore(
    db: Session,
    actor: Actor,
    *,
    metrics: tuple[str, ...],
    hospital_ids: tuple[str, ...] | None = None,
    start: date,
    end: date,
    grain: str = "week",
    how: str = "mean",
) -> Exploration:
    """Each metric by period, for each hospital asked (or every hospital in scope combined), with statistics.

    Two steps, both in the database: the hospitals' values of a day combine first (summed for a metric
    that adds up, averaged otherwise: `adds_up`), then the days combine into the period (by `how` for
    one that adds up, by their mean otherwise). A single hospital's series is its own days either way.
    """
    metrics, hospital_ids, start, end = _checked(db, actor, metrics, hospital_ids, start, end, grain, how)
    totals = [m for m in metrics if adds_up(m)]
    day = cast(func.timezone("Africa/Lagos", _Metric.metric_date), Date).label("day")
    hospital = (_Metric.hospital_id if hospital_ids else null()).label("hospital_id")
    across = case(
        (_Metric.metric_name.in_(totals), func.sum(_Metric.metric_value)), else_=func.avg(_Metric.metric_value)
    )
    where = [
        _Metric.metric_name.in_(metrics),
        _Metric.metric_date >= lagos_midnight(start),
        _Metric.metric_date < lagos_midnight(end + timedelta(days=1)),
    ]
    if hospital_ids:
        where.append(_Metric.hospital_id.in_(hospital_ids))
    days = limit_to_scope(
        select(
            _Metric.metric_name.label("metric"),
            hospital,
            day,
            across.label("value"),
            func.count(_Metric.metric_value).label("samples"),
        )
        .where(*where)
        .group_by(_Metric.metric_name, day, *((_Metric.hospital_id,) if hospital_ids else ())),
        actor,
        _Metric.hospital_id,
    ).subquery("days")
    period = cast(func.date_trunc(grain, cast(days.c.day, DateTime)), Date).label("period")
    over_days = func.avg(days.c.value)
    if how == "sum":
        over_days = case((days.c.metric.in_(totals), func.sum(days.c.value)), else_=func.avg(days.c.value))
    buckets = (
        select(
            days.c.metric,
            days.c.hospital_id,
            period,
            func.round(over_days, 4).label("value"),
            cast(func.sum(days.c.samples), Integer).label("samples"),
        )
        .group_by(days.c.metric, days.c.hospital_id, period)
        .subquery("buckets")
    )
    series = (
        select(buckets.c.metric, buckets.c.hospital_id, buckets.c.period, buckets.c.value, buckets.c.samples)
        .order_by(buckets.c.metric, buckets.c.hospital_id, buckets.c.period)
        .limit(MAX_POINTS)
    )
    points = [Point(*row) for row in db.execute(series)]
    value = cast(buckets.c.value, Float)
    elapsed = func.extract("epoch", cast(buckets.c.period, DateTime)) / 86400.0
    stats = select(
        buckets.c.metric,
        buckets.c.hospital_id,
        func.count(buckets.c.value),
        func.avg(value),
        func.percentile_cont(0.5).within_group(value),
        func.min(value),
        func.max(value),
        func.regr_slope(value, elapsed) * GRAINS[grain],
    ).group_by(buckets.c.metric, buckets.c.hospital_id)
    found = {(row[0], row[1]): row for row in db.execute(stats)}
    summaries = []
    for metric in metrics:
        for hospital_id in hospital_ids or (None,):
            row = found.get((metric, hospital_id))
            summaries.append(Summary(metric, hospital_id, *(row[2:] if row else (0, None, None, None, None, None))))
    if hospital_ids:
        names = dict(db.execute(select(Hospital.id, Hospital.name).where(Hospital.id.in_(hospital_ids))).all())
        labels: dict[str | None, str] = {h: names.get(h, "—") for h in hospital_ids}
    elif actor.network_wide:
        labels = {None: "All hospitals"}
    else:
        labels = {None: db.scalar(select(Hospital.name).where(Hospital.id == actor.hospital_id)) or "—"}
    network = not hospital_ids and actor.network_wide
    return Exploration(metrics, grain, how, start, end, labels, points, summaries, network=network)


# Not for the replica: an export writes its audit row, so it runs through data.call, on the primary.
@permissions.reads("analytics", "export analytics")
def export_series(
    db: Session,
    actor: Actor,
    *,
    metrics: tuple[str, ...],
    hospital_ids: tuple[str, ...] | None = None,
    start: date,
    end: date,
    grain: str = "week",
    how: str = "mean",
) -> tuple[Exploration, bool]:
    """The numbers behind the chart (already aggregated, at most MAX_POINTS), audited as an export."""
    found = explore(db, actor, metrics=metrics, hospital_ids=hospital_ids, start=start, end=end, grain=grain, how=how)
    audit.record_export(
        db, actor, action_type="analytics_exported", resource_type="analytics_data",
        filters={"metrics": list(found.metrics), "hospital_ids": list(hospital_ids or ()), "start": start, "end": end,
                 "grain": grain, "how": how},
        rows=len(found.points),
    )  # fmt: skip
    return found, len(found.points) >= MAX_POINTS
