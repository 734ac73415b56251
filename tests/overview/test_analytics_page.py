"""Analytics against the Overview: "All hospitals" of a count is the network's total, and the page says where
the operational figure is.

A fortnight of daily_appointments for the shell's two hospitals (A reports 20 + n, B 60 + n on the
n-th day back). The network's day on the chart's numbers must be the sum of the hospitals' values that
day, read straight from analytics_data; before issue 18 it was their mean (a per-hospital figure shown
as "All hospitals", about 4 beside the Overview's 135 appointments today).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.platform.formatting import LAGOS, lagos_date
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.models import AnalyticsData
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, sign_in

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env
TODAY = datetime.now(LAGOS).date()


@pytest.fixture(scope="module")
def reported(app_env, engine):
    made = []
    with Session(engine) as session, session.begin():
        for hospital, base in ((app_env.hospital_a, 20), (app_env.hospital_b, 60)):
            for n in range(14):
                stamp = datetime.combine(TODAY - timedelta(days=n + 1), time(), tzinfo=UTC)
                row = AnalyticsData(
                    hospital_id=hospital, metric_name="daily_appointments", metric_value=Decimal(base + n),
                    metric_date=stamp,
                )  # fmt: skip
                session.add(row)
                session.flush()
                made.append(row.id)
    data.clear_cache()
    yield {"admin": sign_in(engine, app_env.emails["admin"]), "ha_a": sign_in(engine, app_env.emails["ha_a"])}
    with Session(engine) as session, session.begin():
        session.execute(delete(AnalyticsData).where(AnalyticsData.id.in_(made)))
    data.clear_cache()


def page(token: str) -> AppTest:
    at = page_app("analytics.py", timeout=60)
    at.session_state[TOKEN_KEY] = token
    return at.run()


def numbers(at: AppTest):
    return next(t.value for t in at.dataframe if "Days behind it" in t.value.columns)


def test_all_hospitals_on_a_day_is_the_sum_of_the_hospitals_that_day(reported, engine):
    at = page(reported["admin"])
    at.segmented_control(key="analytics_grain").set_value("day").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        by_day: dict = defaultdict(Decimal)
        for stamp, value in session.execute(
            select(AnalyticsData.metric_date, AnalyticsData.metric_value).where(
                AnalyticsData.metric_name == "daily_appointments"
            )
        ):
            by_day[stamp.astimezone(LAGOS).date()] += value
    table = numbers(at)
    assert set(table["Hospital"]) == {"All hospitals (network total)"}
    shown = dict(zip(table["Day starting"], table["Value"], strict=True))
    checked = 0
    for n in range(14):
        day = TODAY - timedelta(days=n + 1)
        if lagos_date(day) in shown:
            assert shown[lagos_date(day)] == f"{by_day[day]:,.2f}", day  # e.g. 80 + 2n, not 40 + n
            checked += 1
    assert checked == 14
    captions = " ".join(c.value for c in at.caption)
    assert "the network's total, the hospitals' values of each day added up" in captions
    assert "“Appointments today” on the Overview" in captions and "each hospital's daily report" in captions


def test_a_hospitals_own_reader_sees_its_own_series_and_where_the_operational_figure_is(reported):
    at = page(reported["ha_a"])
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = next(t.value for t in at.dataframe if "Median" in t.value.columns)
    assert list(summary["Hospital"]) == [two_hospitals.ALPHA]  # its own, not called a network total
    assert "“Appointments today” on the Overview" in " ".join(c.value for c in at.caption)
