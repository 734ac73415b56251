"""The page kit's plain parts: formula-safe CSV and Excel, the date range's refusals, the cache's keys."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard import data
from dashboard.components import export, filters
from dashboard.services import permissions
from dashboard.services.actors import Actor
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
    assert words in filters.range_problem(start, end)


def test_a_usable_range_and_its_previous_period():
    chosen = filters.DateRange(date(2026, 11, 1), date(2026, 11, 30))
    assert filters.range_problem(chosen.start, chosen.end) is None
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
