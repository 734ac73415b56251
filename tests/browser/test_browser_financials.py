"""Real browser on Financials and Analytics: an executive clicks the largest expense category and sees the
entries behind it, downloads the board PDF, and an analyst compares two hospitals by week.

One `healthdash run` for the module, on a throwaway database holding the shell's two-hospital network
with ledger rows, wallets and daily metrics (tests/money/test_money_pages.py's `_fill`). Screenshots of the
charts at 1400 px go to /tmp/healthdash-financials.png and /tmp/healthdash-analytics.png.
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dashboard.domains.money import wallet_reconciliation
from tests.browser.support import (
    charts_drawn,
    chromium,
    new_context,
    open_page,
    running_server,
    screenshot,
    settled,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
    widget,
)
from tests.fixtures.two_hospitals import ALPHA, BETA, Network, _build_network
from tests.money.test_money_pages import _fill as fill_money

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(tempfile.gettempdir())  # kept after the run, to look at
EXCEPTION = '[data-testid="stException"]'


@dataclass
class Server:
    base: str
    network: Network
    log: Path


def _fill(engine: Engine) -> Network:
    network = _build_network(engine)
    fill_money(engine, network)
    with engine.begin() as conn:  # the demo's descriptions, long enough to push a column off the screen
        conn.execute(
            text(
                "UPDATE hospital_financial_data SET description = to_char(to_date(fiscal_month, 'YYYY-MM'), 'FMMonth "
                "YYYY') || ' ' || replace(category, '_', ' ') || ' ' || transaction_type || ' (month to date), "
                "booked by the finance office from the general ledger export'"
            )
        )
    with Session(engine) as session, session.begin():  # the scheduled check has run once, as in production
        wallet_reconciliation.refresh_reconciliation(session, None)
    return network


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("financials-server") / "healthdash-run.log"
    with running_server(admin_url, log, _fill) as (base, _url, network):
        yield Server(base, network, log)


@pytest.fixture(scope="module")
def tab(server):
    """A network-wide executive, signed in once."""
    with chromium() as browser:
        ctx = new_context(browser)
        page = ctx.new_page()
        sign_in(page, server.base, server.network.emails["exec_net"])
        try:
            yield page
        finally:
            ctx.close()


@pytest.fixture(autouse=True)
def _show_the_browser_on_failure(request, tab, server):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(what_the_browser_saw(tab.context, server.log))


def no_exception(page) -> None:
    boxes = page.locator(EXCEPTION)
    assert boxes.count() == 0, boxes.first.inner_text()[:1500]


def chart_titled(page, title: str):
    return page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title).first


def test_click_the_largest_expense_category_and_see_the_entries_behind_it(tab, server):
    from playwright.sync_api import expect

    open_page(tab, server.base, "financials", "Financials")
    charts_drawn(tab)
    no_exception(tab)
    main = tab.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("₦5.6M")  # this month's revenue, both hospitals
    # One row of three cards (the same days of last month; a year before in a line beneath), and the wallets'.
    expect(main.locator('[data-testid="stMetric"]')).to_have_count(3 + 4)
    expect(main).to_contain_text(" vs 1")  # "1–7 Dec vs 1–7 Nov": the periods compared, said on the page
    ledger = main.locator('[data-testid="stDataFrame"]').filter(has_text="Booked").first
    ledger.scroll_into_view_if_needed()
    settled(ledger)
    scroller = ledger.locator(".dvn-scroller").first
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1] + 1, f"the ledger table is cut off at 1400 px: {widths}"
    screenshot(tab, SHOTS / "healthdash-financials-ledger.png")
    ledger.evaluate("e => window.scrollTo(0, 0)")
    expect(main).to_contain_text("Every wallet reconciles")
    screenshot(tab, SHOTS / "healthdash-financials.png")
    expenses = chart_titled(tab, "Expenses by category")
    expenses.scroll_into_view_if_needed()
    settled(expenses)
    first_bar = expenses.locator("g.point path").first  # Salaries: the largest, drawn first
    first_bar.click(force=True)
    wait_until_idle(tab)
    expect(main).to_contain_text("Expenses: Salaries")
    chip = main.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Expenses: Salaries").first
    expect(chip).to_contain_text(re.compile(r"\d+ entries, expenses ₦"))
    grid = main.locator('[data-testid="stDataFrame"]').filter(has_text="Salaries").first
    expect(grid).to_be_visible()
    grid_text = grid.inner_text()
    assert "Utilities and diesel" not in grid_text and "Pharmacy" not in grid_text
    screenshot(tab, SHOTS / "healthdash-financials-selected.png")
    main.get_by_role("button", name="Clear selection").click()
    wait_until_idle(tab)
    expect(main).not_to_contain_text("Expenses: Salaries")
    no_exception(tab)


def test_download_the_board_report_as_a_pdf_with_the_scope_on_it(tab, server):
    from playwright.sync_api import expect

    open_page(tab, server.base, "financials", "Financials")
    panel = tab.locator('[data-testid="stExpander"]').filter(has_text="Board report (PDF)")
    panel.locator("summary").first.click()
    settled(panel)
    panel.get_by_role("button", name="Prepare the PDF").click()
    wait_until_idle(tab)
    button = panel.get_by_role("button", name=re.compile(r"Download the report \(\d+ pages?\)"))
    expect(button).to_be_visible()
    with tab.expect_download() as download:
        button.click()
    path = download.value.path()
    content = Path(path).read_bytes()
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 1 and "Scope: All hospitals" in text
    assert ALPHA in text and BETA in text and "Made:" in text
    assert download.value.suggested_filename.startswith("financial-report-network-")
    no_exception(tab)


def test_an_analyst_compares_two_hospitals_by_week(tab, server):
    from playwright.sync_api import expect

    open_page(tab, server.base, "analytics", "Analytics")
    box = widget(tab, "stMultiSelect", "Hospitals to compare")
    for name in (ALPHA, BETA):
        field = box.get_by_role("combobox").first
        field.click()
        field.press_sequentially(name.split()[0])
        tab.get_by_role("option", name=name, exact=True).click()
        wait_until_idle(tab)
    tab.keyboard.press("Escape")
    tab.get_by_role("heading", name="Analytics", exact=True).click()  # the list closes
    wait_until_idle(tab)
    charts_drawn(tab)
    no_exception(tab)
    main = tab.locator('[data-testid="stMain"]')
    expect(main.locator('[data-testid="stPlotlyChart"]').first).to_contain_text(BETA)  # the legend names both
    summary = main.locator('[data-testid="stDataFrame"]').filter(has_text="Median").first
    expect(summary).to_contain_text(ALPHA)
    expect(summary).to_contain_text(BETA)
    screenshot(tab, SHOTS / "healthdash-analytics.png")
