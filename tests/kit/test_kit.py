"""The page kit's plain parts: formula-safe CSV and Excel, the date range's refusals, the cache's keys."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.kit import export, filters
from dashboard.platform import dates, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.shell import data
from db.base import UserRole

HOSTILE = pd.DataFrame({"Name": ["=HYPERLINK(\"http://x\",\"click\")", "+2+3", "Ada Obi"], "Beds": [3, 4, 5]})


def test_csv_keeps_formulas_as_text_and_opens_in_excel():
    raw = export.csv_bytes(HOSTILE)
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads UTF-8 (₦, accents) right
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+2+3" in text and "Ada Obi" in text


def test_excel_keeps_formulas_as_text():
    workbook = load_workbook(io.BytesIO(export.xlsx_bytes(HOSTILE, "Resources")))
    sheet = workbook["Resources"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == ["Name", "Beds"]
    assert cells[1][0] == "'=HYPERLINK(\"http://x\",\"click\")" and sheet["A2"].data_type == "s"  # text, not formula
    assert cells[3] == ["Ada Obi", 5]  # numbers stay numbers


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (date(2026, 11, 25), date(2026, 11, 1), "ends before it starts"),
        (date(1976, 1, 1), date(2026, 1, 1), "longer than three years"),
        (date(1990, 1, 1), date(1990, 2, 1), "outside the years"),
    ],
)
def test_a_date_range_that_cannot_be_used_is_refused_in_a_sentence(start, end, words):
    assert words in dates.range_problem(start, end, filters.today())


def test_the_sidebar_and_the_services_share_one_limit():
    """Three years and a day is refused by the sidebar's picker and by every service alike."""
    start = date(2023, 1, 1)
    end = start + timedelta(days=dates.LONGEST_RANGE_DAYS)
    assert "longer than three years" in dates.range_problem(start, end, end)
    with pytest.raises(InvalidInput, match="at most three years"):
        dates.checked_range(start, end)
    shorter = end - timedelta(days=1)
    assert dates.range_problem(start, shorter, end) is None and dates.checked_range(start, shorter) == (start, shorter)


def test_a_usable_range_and_its_previous_period():
    chosen = filters.DateRange(date(2026, 11, 1), date(2026, 11, 30))
    assert dates.range_problem(chosen.start, chosen.end, filters.today()) is None
    assert chosen.days == 30
    assert chosen.previous() == filters.DateRange(date(2026, 10, 2), date(2026, 10, 31))
    assert filters.default_range().days == filters.DEFAULT_DAYS
    assert filters.default_range().end - filters.default_range().start == timedelta(days=filters.DEFAULT_DAYS - 1)


def test_only_marked_services_can_be_cached():
    def unmarked(db, actor):
        return 1

    with pytest.raises(TypeError, match="no permissions.reads mark"):
        data.cached(unmarked, Actor("u", UserRole.ADMIN, None))


def test_a_write_makes_its_scope_and_the_network_stale_but_not_other_hospitals():
    generations = data._Generations()
    before = {scope: generations.of(scope) for scope in ("h-a", "h-b", "network")}
    generations.bump("h-a", data.NETWORK)
    assert generations.of("h-a") != before["h-a"]
    assert generations.of("network") != before["network"]
    assert generations.of("h-b") == before["h-b"]  # another hospital's cached figures still stand
    generations.bump("*")  # a network-wide change: everything
    assert generations.of("h-b") != before["h-b"]


def test_the_permission_table_marks_its_readers():
    @permissions.reads("waitlist")
    def queue(db, actor):
        return []

    assert queue.required_roles == permissions.readers("waitlist")
    assert UserRole.EXECUTIVE not in queue.required_roles


def test_money_axes_say_b_for_billions_not_g():
    import plotly.graph_objects as go

    from dashboard.kit import charts

    fig = go.Figure()
    fig.add_bar(x=["Oct 2026", "Nov 2026"], y=[1.0e9, 1.43e9], name="Revenue")
    fig.add_bar(x=["Oct 2026", "Nov 2026"], y=[0.6e9, 0.9e9], name="Expenses")
    fig.update_layout(barmode="group")
    charts.naira_axis(fig)
    assert list(fig.layout.yaxis.ticktext) == ["₦0", "₦500M", "₦1B", "₦1.5B"]
    assert not any("G" in t for t in fig.layout.yaxis.ticktext)
    assert [charts.naira_tick(v) for v in (1.4e9, 250e6, 30e3, 500, -2e6)] == ["₦1.4B", "₦250M", "₦30K", "₦500", "-₦2M"]
    across = go.Figure(go.Bar(x=[36_923_530.0], y=["General Hospital"], orientation="h"))
    charts.naira_axis(across, "xaxis")
    assert across.layout.xaxis.ticktext[-1] == "₦40M"


def test_monthly_lines_get_monthly_ticks():
    from dashboard.kit import charts

    frame = pd.DataFrame({"Month": [date(2026, 10, 1), date(2026, 11, 1)], "No-show rate": [4.0, 6.5]})
    fig = charts.line(frame, x="Month", y="No-show rate", title="t", x_title="Month", y_title="%", period="month")
    assert list(fig.layout.xaxis.ticktext) == ["Oct 2026", "Nov 2026"]
    assert "%b %Y" in fig.data[0].hovertemplate


def test_card_deltas_use_the_status_palette_not_red_and_green():
    from dashboard.kit.kpi import Card, delta_colour

    assert delta_colour(Card("Revenue", "₦1.4M", delta="+₦200.0K (+16.7%)", delta_color="normal")) == "blue"
    assert delta_colour(Card("Revenue", "₦1.4M", delta="-₦200.0K (-12.5%)", delta_color="normal")) == "orange"
    assert delta_colour(Card("Expenses", "₦1.4M", delta="-₦200.0K (-12.5%)", delta_color="inverse")) == "blue"
    assert delta_colour(Card("Bed occupancy", "81%", delta="+4.9 points", delta_color="inverse")) == "orange"
    assert delta_colour(Card("Revenue", "₦1.4M", delta="+₦0 (+0.0%)", delta_color="normal")) == "gray"
    assert delta_colour(Card("Revenue", "₦1.4M", delta="No figures for Nov 2025", delta_color="off")) == "gray"
    assert delta_colour(Card("Open emergencies", "3", delta="1 critical")) == "gray"
    assert delta_colour(Card("Appointments", "40")) == "gray"
