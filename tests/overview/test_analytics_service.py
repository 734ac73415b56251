"""The metric explorer on a fixture worked out by hand: metric names from the data, weekly and monthly series
per hospital, summary statistics from SQL, scope, the point cap, and a sentence for each bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dashboard.domains.overview import analytics
from dashboard.platform.errors import InvalidInput, OutOfScope
from db.base import UserRole
from db.models import AnalyticsData
from tests.fixtures.queue_builders import actor, add_hospital, audit_rows

MONDAY = date(2025, 3, 3)
D = Decimal


@pytest.fixture
def metrics(db_session):
    """Two weeks of daily rows from Monday 3 Mar 2025: A's visits are 10, 11, .. 23; B's are twice A's.

    Hospital A also records "zz_test_only_a"; B records it never, so a scoped reader of B does not see it.
    """
    db = db_session
    a, b = add_hospital(db, "Metric Alpha"), add_hospital(db, "Metric Beta")
    for n in range(14):
        stamp = datetime.combine(MONDAY + timedelta(days=n), datetime.min.time(), tzinfo=UTC)  # 01:00 in Lagos
        db.add(AnalyticsData(hospital_id=a, metric_name="zz_visit_count", metric_value=D(10 + n), metric_date=stamp))
        db.add(
            AnalyticsData(hospital_id=b, metric_name="zz_visit_count", metric_value=D(2 * (10 + n)), metric_date=stamp)
        )
    db.add(AnalyticsData(hospital_id=a, metric_name="zz_test_only_a", metric_value=D(1), metric_date=stamp))
    db.flush()
    return a, b


def test_metric_names_come_from_the_data_in_scope(db_session, metrics):
    a, b = metrics
    assert {"zz_visit_count", "zz_test_only_a"} <= set(analytics.metric_names(db_session, actor(UserRole.ADMIN, None)))
    names_b = analytics.metric_names(db_session, actor(UserRole.COMPLIANCE_OFFICER, b))
    assert "zz_visit_count" in names_b and "zz_test_only_a" not in names_b


def test_two_hospitals_by_week_with_their_statistics(db_session, metrics):
    a, b = metrics
    found = analytics.explore(
        db_session, actor(UserRole.ADMIN, None), metrics=("zz_visit_count",), hospital_ids=(a, b),
        start=MONDAY, end=MONDAY + timedelta(days=13), grain="week", how="mean",
    )  # fmt: skip
    by = {(p.hospital_id, p.period): p for p in found.points}
    assert by[(a, MONDAY)].value == D("13") and by[(a, MONDAY)].samples == 7  # mean of 10..16
    assert by[(a, MONDAY + timedelta(days=7))].value == D("20")
    assert by[(b, MONDAY)].value == D("26")
    assert found.label(a) == "Metric Alpha" and found.label(b) == "Metric Beta"
    stats = {s.hospital_id: s for s in found.summaries}
    assert stats[a].periods == 2 and stats[a].mean == pytest.approx(16.5) and stats[a].median == pytest.approx(16.5)
    assert (stats[a].minimum, stats[a].maximum) == (pytest.approx(13), pytest.approx(20))
    assert stats[a].trend_per_period == pytest.approx(7.0)  # +7 a week
    assert stats[b].trend_per_period == pytest.approx(14.0)


def test_by_day_totals_and_by_month_for_a_hospitals_own_scope(db_session, metrics):
    a, _ = metrics
    own = actor(UserRole.HOSPITAL_ADMIN, a)
    daily = analytics.explore(
        db_session, own, metrics=("zz_visit_count",), start=MONDAY, end=MONDAY + timedelta(days=13), grain="day"
    )
    assert [p.value for p in daily.points] == [D(10 + n) for n in range(14)]  # only A's, though no hospital was named
    assert daily.summaries[0].trend_per_period == pytest.approx(1.0)
    assert daily.summaries[0].median == pytest.approx(16.5)
    monthly = analytics.explore(
        db_session, own, metrics=("zz_visit_count",), start=date(2025, 3, 1), end=date(2025, 3, 31), grain="month",
        how="sum",
    )  # fmt: skip
    assert [(p.period, p.value) for p in monthly.points] == [(date(2025, 3, 1), D(sum(range(10, 24))))]
    assert monthly.label(None) == "Metric Alpha"


def test_bad_input_is_refused_in_a_sentence(db_session, metrics):
    a, b = metrics
    own = actor(UserRole.EXECUTIVE, a)
    week = {"start": MONDAY, "end": MONDAY + timedelta(days=6)}
    cases = [
        ({"metrics": ("no_such_metric",), **week}, "No metric called “no_such_metric”"),
        ({"metrics": (), **week}, "at least one metric"),
        ({"metrics": ("zz_visit_count",), "start": week["end"], "end": week["start"]}, "after the end date"),
        ({"metrics": ("zz_visit_count",), "start": date(2020, 1, 1), "end": date(2024, 1, 1)}, "at most three years"),
        ({"metrics": ("zz_visit_count",), "grain": "hour", **week}, "day, week or month"),
    ]
    for kwargs, words in cases:
        with pytest.raises(InvalidInput, match=words):
            analytics.explore(db_session, own, **kwargs)
    with pytest.raises(OutOfScope):
        analytics.explore(db_session, own, metrics=("zz_visit_count",), hospital_ids=(b,), **week)
    assert audit_rows(db_session, own.user_id, "scope_violation")


def test_too_many_points_are_refused_before_the_query(db_session, metrics):
    a, b = metrics
    with pytest.raises(InvalidInput, match="Aggregate by week or month"):
        analytics.explore(
            db_session, actor(UserRole.ADMIN, None), metrics=("zz_visit_count", "zz_test_only_a"), hospital_ids=(a, b),
            start=date(2023, 1, 1), end=date(2025, 12, 31), grain="day",
        )  # fmt: skip


def test_all_hospitals_is_the_network_total_of_a_count_and_the_mean_of_a_rate(db_session, metrics):
    a, b = metrics
    for n in range(14):
        stamp = datetime.combine(MONDAY + timedelta(days=n), datetime.min.time(), tzinfo=UTC)
        db_session.add(AnalyticsData(hospital_id=a, metric_name="zz_test_rate", metric_value=D(50), metric_date=stamp))
        db_session.add(AnalyticsData(hospital_id=b, metric_name="zz_test_rate", metric_value=D(70), metric_date=stamp))
    db_session.flush()
    admin = actor(UserRole.ADMIN, None)
    span = {"start": MONDAY, "end": MONDAY + timedelta(days=13)}
    apart = analytics.explore(
        db_session, admin, metrics=("zz_visit_count",), hospital_ids=(a, b), grain="day", **span
    )
    together = analytics.explore(db_session, admin, metrics=("zz_visit_count", "zz_test_rate"), grain="day", **span)
    each = {(p.hospital_id, p.period): p.value for p in apart.points}
    network = {(p.metric, p.period): p for p in together.points}
    for n in range(14):
        day = MONDAY + timedelta(days=n)
        # A count: the network's day is the sum of its hospitals' days (30 + 3n), not their mean.
        assert network[("zz_visit_count", day)].value == each[(a, day)] + each[(b, day)] == D(3 * (10 + n))
        assert network[("zz_visit_count", day)].samples == 2
        # A rate: the mean of the hospitals, said so in its label.
        assert network[("zz_test_rate", day)].value == D(60)
    assert together.series_label("zz_visit_count", None) == "All hospitals (network total)"
    assert together.series_label("zz_test_rate", None) == "All hospitals (mean of the hospitals)"
    assert apart.series_label("zz_visit_count", a) == "Metric Alpha"
    # By week: a count's days add up when asked for their total; a rate's days are always averaged.
    weekly = analytics.explore(
        db_session, admin, metrics=("zz_visit_count", "zz_test_rate"), grain="week", how="sum", **span
    )
    by_week = {(p.metric, p.period): p.value for p in weekly.points}
    assert by_week[("zz_visit_count", MONDAY)] == D(3 * sum(range(10, 17)))
    assert by_week[("zz_test_rate", MONDAY)] == D(60)
    assert weekly.how_of("zz_visit_count") == "sum" and weekly.how_of("zz_test_rate") == "mean"
    # A hospital's own reader: its series is its own, not labelled as a network's.
    own = analytics.explore(db_session, actor(UserRole.HOSPITAL_ADMIN, b), metrics=("zz_visit_count",), **span)
    assert own.series_label("zz_visit_count", None) == "Metric Beta"


def test_which_metrics_add_up_and_where_their_operational_figures_are():
    assert [analytics.adds_up(m) for m in ("daily_appointments", "revenue_ngn", "emergency_count")] == [True] * 3
    assert not any(
        analytics.adds_up(m) for m in ("bed_occupancy_rate", "average_wait_minutes", "patient_satisfaction")
    )
    note = analytics.elsewhere("daily_appointments")
    assert "“Appointments today” on the Overview" in note and "each hospital's daily report" in note
    assert analytics.elsewhere("patient_satisfaction") is None
