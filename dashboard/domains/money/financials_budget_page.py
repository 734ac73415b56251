"""Financials' "Budget against actual": cards to date, the categories furthest over budget, budget and actual by
month, the tables behind them with their exports, and (for those who set budgets) the form and the Excel import.

Every figure is read from one report (money/budgets.budget_report), the one the board PDF prints, so the cards,
charts, tables, exports and the PDF agree to the kobo. A render never writes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.money import budgets, financials_budget_forms_page
from dashboard.domains.money.hospital_ledger import category_label
from dashboard.kit import charts, filters, kpi, listing, say
from dashboard.kit.export import export_panel
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform import permissions
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import Noun, md_escape, naira, naira_change, naira_short
from dashboard.shell import data

CATEGORIES = Table([
    Column("Category", "label"),
    Column("Kind", "kind_word"),
    Column("Budget for the year", "budget_year", "money"),
    Column("Budget to date", "budget_to_date", "money"),
    Column("Actual to date", "actual_to_date", "money"),
    Column("Against budget", lambda r: budgets.variance_text(r.variance), screen_only=True),
    Column("Against budget", "variance", "money", export_only=True),
    Column("%", lambda r: budgets.share_text(r.variance_share), screen_only=True),
    Column("Against budget (share)", "variance_share", "percent", export_only=True),
    Column("Status", "status"),
])  # fmt: skip
MONTHS = Table([
    Column("Month", "label"),
    Column("Revenue budget", lambda r: r.revenue_budget if r.compared else None, "money"),
    Column("Revenue", lambda r: r.revenue_actual if r.compared else None, "money"),
    Column("Revenue against budget", lambda r: budgets.variance_text(r.revenue_variance), screen_only=True),
    Column("Revenue against budget", "revenue_variance", "money", export_only=True),
    Column("Expense budget", lambda r: r.expense_budget if r.compared else None, "money"),
    Column("Expenses", lambda r: r.expense_actual if r.compared else None, "money"),
    Column("Expenses against budget", lambda r: budgets.variance_text(r.expense_variance), screen_only=True),
    Column("Expenses against budget", "expense_variance", "money", export_only=True),
])  # fmt: skip
KINDS = {"expense": "Expenses", "revenue": "Revenue"}


def _writes(ctx: PageContext) -> bool:
    return ctx.viewer.user.role in permissions.writers("budgets")


def _year(ctx: PageContext) -> int:
    default = ctx.period.end.year
    try:
        years = data.cached(budgets.budget_years, ctx.actor)
    except ServiceError:
        years = []
    choices = sorted({default, *years}, reverse=True)
    column, words = st.columns([1, 5], vertical_alignment="bottom")
    year = column.selectbox(
        "Fiscal year", choices, index=choices.index(default), key=f"{ctx.key}_budget_year__{ctx.actor.scope_key}",
        help="January to December. It follows the end of the date range in the sidebar until you pick another.",
    )  # fmt: skip
    words.caption(
        f"Budget, actual and the difference for {year}, by month and to date: the categories furthest over budget "
        "first. A month still running is compared on its days booked so far."
    )
    return year


def _cards(ctx: PageContext, report: budgets.BudgetReport) -> None:
    spent, earned = report.expenses, report.revenue
    over = report.over_budget
    kpi.card_row(
        ctx.viewer,
        [
            kpi.figure_card("budget_to_date", naira_short(spent.budget_to_date), label="Expense budget to date",
                            help_extra=f"Expenses {naira(spent.budget_to_date)} of {naira(spent.budget_year)} for the "
                            f"year; revenue {naira(earned.budget_to_date)} of {naira(earned.budget_year)}."),
            kpi.figure_card("actual_to_date", naira_short(spent.actual_to_date), label="Expenses to date",
                            help_extra=f"Expenses {naira(spent.actual_to_date)}; revenue "
                            f"{naira(earned.actual_to_date)}."),
            kpi.figure_card("variance_to_date", naira_change(spent.variance), label="Expenses against budget",
                            delta=budgets.share_text(spent.variance_share), delta_color="inverse",
                            delta_description="of budget",
                            help_extra=f"Expenses {budgets.variance_text(spent.variance)}; revenue "
                            f"{budgets.variance_text(earned.variance)}."),
            # "of N" under the value: in the label it was cut short at 1400 px ("Categories over budget, of …")
            kpi.figure_card("categories_over_budget", f"{len(over):,}",
                            delta=f"of {len(report.categories):,} categories",
                            help_extra=("Over: " + ", ".join(c.label for c in over) + ".") if over else None),
        ],
    )  # fmt: skip
    sign = "ahead of" if earned.variance >= 0 else "short of"
    furthest = (
        f"**Furthest over budget:** {over[0].label} ({over[0].kind_word.lower()}), "
        f"{budgets.variance_text(over[0].variance)} ({budgets.share_text(over[0].variance_share)}). "
        if over else "**No category is over budget.** "
    )  # fmt: skip
    st.caption(
        furthest + f"**Revenue to date:** {naira(earned.actual_to_date)} against a budget of "
        f"{naira(earned.budget_to_date)}, {naira(abs(earned.variance))} {sign} it "
        f"({budgets.share_text(earned.variance_share)}). " + md_escape(budgets.report_words(report))
    )


def _category_chart(report: budgets.BudgetReport) -> None:
    compared = [c for c in report.categories if c.compared]
    if not compared:
        return
    labels = [f"{c.label} ({c.kind_word.lower()})" for c in compared]
    over = [max(c.over_by, 0) for c in compared]  # to the right: over budget
    within = [min(c.over_by, 0) for c in compared]  # to the left: within budget (or revenue ahead of it)
    fig = charts.money_bars(
        labels,
        [charts.Series("Over budget", over, charts.ORANGE), charts.Series("Within budget", within, charts.BLUE)],
        title=f"Over budget (right) or within it (left), {report.year} to date",
        horizontal=True, height=max(300, 90 + 30 * len(labels)),
    )  # fmt: skip
    fig.update_layout(barmode="relative", xaxis_title="Naira over budget")
    charts.show(fig)


def _month_chart(ctx: PageContext, report: budgets.BudgetReport) -> None:
    months = report.months_compared
    if not months:
        return
    left, right = st.columns(2)
    kind = left.radio("Show", list(KINDS), format_func=KINDS.get, horizontal=True,
                      key=f"{ctx.key}_budget_kind")  # fmt: skip
    names = ["all"] + [c.category for c in report.categories if c.kind == kind]
    category = right.selectbox(
        "Category", names, key=f"{ctx.key}_budget_category_{kind}",
        format_func=lambda c: "All categories" if c == "all" else category_label(c),
    )  # fmt: skip
    cells = [c for c in report.cells if c.kind == kind and category in ("all", c.category)]
    budget = [sum((c.compared_budget for c in cells if c.month == m.month), 0) for m in months]
    actual = [sum((c.actual for c in cells if c.month == m.month), 0) for m in months]
    what = KINDS[kind] if category == "all" else category_label(category)
    colour = charts.ORANGE if kind == "expense" else charts.BLUE
    fig = charts.money_bars(
        [m.short_label for m in months],
        [charts.Series("Budget", budget, charts.GREY), charts.Series("Actual", actual, colour)],
        title=f"{what}: budget and actual by month, {report.year}",
    )
    charts.show(fig)


def _tables(ctx: PageContext, report: budgets.BudgetReport) -> None:
    tabs = st.tabs(["By category", "By month"], key=f"{ctx.key}_budget_tables", on_change="rerun")
    for tab, name, rows, table, noun in (
        (tabs[0], "categories", report.categories, CATEGORIES, Noun("category", "categories")),
        (tabs[1], "months", report.months_compared, MONTHS, Noun("month", "months")),
    ):
        with tab:
            listing.page_table(table.frame(rows, network_wide=ctx.network_wide))

            def prepare(name=name, table=table) -> tuple[pd.DataFrame, bool]:
                found, truncated = data.call(budgets.export_budget_report, ctx.actor, year=report.year, table=name,
                                             today=report.today)  # fmt: skip
                return table.frame(found, network_wide=ctx.network_wide, for_export=True), truncated

            export_panel(
                f"{ctx.key}_budget_{name}_export__{ctx.actor.scope_key}",
                filters=(name, ctx.actor.scope_key, report.year, report.today), noun=noun,
                file_stem=f"budget-against-actual-{report.year}-by-{name}", disabled=False, prepare=prepare,
            )  # fmt: skip


def show(ctx: PageContext) -> None:
    """The part, for the roles that read budgets (the Financials readers)."""
    if ctx.viewer.user.role not in permissions.readers("budgets"):
        return
    st.subheader("Budget against actual")
    year = _year(ctx)
    try:
        report = data.cached(budgets.budget_report, ctx.actor, year=year, today=filters.today())
    except ServiceError as exc:
        say.error(str(exc))
        return
    if not report.has_budget:
        say.info(
            f"No budget is set for {year} in this scope."
            + (" Set one below, or download the template, fill it in and import it." if _writes(ctx) else
               " A hospital's administrator sets it on this page.")
        )  # fmt: skip
    elif not report.months_compared:
        say.info(f"{year} has a budget but no month of it is booked yet; the comparison starts with its first month.")
    else:
        _cards(ctx, report)
        left, right = st.columns(2)
        with left:
            _category_chart(report)
        with right:
            _month_chart(ctx, report)
        _tables(ctx, report)
    if _writes(ctx):
        financials_budget_forms_page.show(ctx, year)
