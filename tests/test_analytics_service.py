"""The metric explorer on a fixture worked out by hand: metric names from the data, weekly and monthly series
per hospital, summary statistics from SQL, scope, the point cap, and a sentence for each bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dashboard.services import analytics
from dashboard.services.errors import InvalidInput, OutOfScope
from db.base import UserRole
from db.models import AnalyticsData
from tests.operations_data import actor, add_hospital, audit_rows

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
        db.add(AnalyticsData(hospital_id=a, metric_name="zz_test_visits", metric_value=D(10 + n), metric_date=stamp))
        db.add(
            AnalyticsData(hospital_id=b, metric_name="zz_test_visits", metric_value=D(2 * (10 + n)), metric_date=stamp)
        )
    db.add(AnalyticsData(hospital_id=a, metric_name="zz_test_only_a", metric_value=D(1), metric_date=stamp))
    db.flush()
    return a, b


def test_metric_names_come_from_the_data_in_scope(db_session, metrics):
    a, b = metrics
    assert {"zz_test_visits", "zz_test_only_a"} <= set(analytics.metric_names(db_session, actor(UserRole.ADMIN, None)))
    names_b = analytics.metric_names(db_session, actor(UserRole.COMPLIANCE_OFFICER, b))
    assert "zz_test_visits" in names_b and "zz_test_only_a" not in names_b


def test_two_hospitals_by_week_with_their_statistics(db_session, metrics):
    a, b = metrics
    found = analytics.explore(
        db_session, actor(UserRole.ADMIN, None), metrics=("zz_test_visits",), hospital_ids=(a, b),
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
        db_session, own, metrics=("zz_test_visits",), start=MONDAY, end=MONDAY + timedelta(days=13), grain="day"
    )
    assert [p.value for p in daily.points] == [D(10 + n) for n in range(14)]  # only A's, though no hospital was named
    assert daily.summaries[0].trend_per_period == pytest.approx(1.0)
    assert daily.summaries[0].median == pytest.approx(16.5)
    monthly = analytics.explore(
        db_session, own, metrics=("zz_test_visits",), start=date(2025, 3, 1), end=date(2025, 3, 31), grain="month",
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
        ({"metrics": ("zz_test_visits",), "start": week["end"], "end": week["start"]}, "after the end date"),
        ({"metrics": ("zz_test_visits",), "start": date(2020, 1, 1), "end": date(2024, 1, 1)}, "at most three years"),
        ({"metrics": ("zz_test_visits",), "grain": "hour", **week}, "day, week or month"),
    ]
    for kwargs, words in cases:
        with pytest.raises(InvalidInput, match=words):
            analytics.explore(db_session, own, **kwargs)
    with pytest.raises(OutOfScope):
        analytics.explore(db_session, own, metrics=("zz_test_visits",), hospital_ids=(b,), **week)
    assert audit_rows(db_session, own.user_id, "scope_violation")


def test_too_many_points_are_refused_before_the_query(db_session, metrics):
    a, b = metrics
    with pytest.raises(InvalidInput, match="Aggregate by week or month"):
        analytics.explore(
            db_session, actor(UserRole.ADMIN, None), metrics=("zz_test_visits", "zz_test_only_a"), hospital_ids=(a, b),
            start=date(2023, 1, 1), end=date(2025, 12, 31), grain="day",
        )  # fmt: skip
