"""Financials: revenue, expenses and net by fiscal month, category and hospital; the transactions behind any bar;
patients' wallets and their reconciliation (network scope); a printable report for the board.

Every figure comes from the hospitals' ledgers aggregated in the database; the table beneath the charts lists
the entries behind the bar clicked, so a bar and the sum of its rows agree to the kobo. The parts are drawn by
financials_cards_page, financials_charts_page, financials_tables_page and wallets_section_page.

A render never writes. The money summaries (consultations, wallet flows) are kept fresh by `healthdash db
reconcile` on its schedule; when they are older than the services' limit, the page says how old and offers the
refresh as a button (a command the reader presses), instead of refreshing them itself while drawing.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.money import (
    financial_report,
    financials_budget_page,
    financials_cards_page,
    financials_charts_page,
    financials_tables_page,
    hospital_ledger,
    hospital_ledger_entries,
    month_figures,
    wallets,
    wallets_section_page,
)
from dashboard.domains.overview import overview_states_page
from dashboard.kit import drill, filters, say
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform import permissions
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import Noun, naira
from dashboard.shell import data


def _report(ctx: PageContext, span: dict) -> None:
    signature = (ctx.actor.scope_key, ctx.period.start, ctx.period.end)
    with panel(ctx, "Board report (PDF)", "report", icon=":material/picture_as_pdf:"):
        st.caption(
            "The cards, the monthly chart and the category table as a PDF, with the scope, the date range and "
            "the time it was made printed on it. Making it is recorded in the audit trail."
        )
        if st.button("Prepare the PDF", key=f"{ctx.key}_report_prepare", icon=":material/print:"):
            try:
                with st.spinner("Making the report…"):
                    report = data.call(financial_report.financial_report, ctx.actor, **span)
            except ServiceError as exc:
                say.error(str(exc))
                return
            st.session_state[f"{ctx.key}_report"] = (signature, report)
        prepared = st.session_state.get(f"{ctx.key}_report")
        if prepared and prepared[0] == signature:
            report = prepared[1]
            st.download_button(
                f"Download the report ({report.pages} {'page' if report.pages == 1 else 'pages'})",
                data=report.content, file_name=report.file_name, mime=financial_report.PDF_MIME,
                icon=":material/download:", key=f"{ctx.key}_report_download",
            )  # fmt: skip


def _selection(ctx: PageContext, group: str, span: dict) -> dict:
    """The filters of the bar clicked (none: every entry), said in the chip with how many entries and how much."""
    selection = drill.current(group)
    chosen = dict((selection or {}).get("filters") or {})
    detail = ""
    if selection:
        try:
            total = data.cached(hospital_ledger_entries.selection_total, ctx.actor, **span, **chosen)
            kind = chosen.get("kind")
            amount = total.revenue if kind == "revenue" else total.expenses if kind else total.net
            what = hospital_ledger.KIND_LABELS[kind].lower() if kind else "net"
            detail = f"{Noun('entry', 'entries').count(total.entries)}, {what} {naira(amount)}"
        except ServiceError as exc:  # a selection the new date range or scope no longer holds
            say.warning(f"{exc} The selection was cleared.")
            drill.select(group, None)
            chosen = {}
    drill.chip(
        group, detail=detail, hint="Click a bar or a point in a chart above to see the ledger entries behind it."
    )
    return chosen


def render(ctx: PageContext) -> None:
    period, actor = ctx.period, ctx.actor
    span = {"start": period.start, "end": period.end}
    group = f"{ctx.key}__{actor.scope_key}"  # the charts' one selection; a scope change starts with nothing selected
    ctx.header(
        f"Revenue, expenses and net by fiscal month, {period.label}. Click a bar to see the transactions behind it."
    )
    ctx.done()
    try:
        cards = data.cached(month_figures.month_figures, actor, month=period.end, today=filters.today())
        months = data.cached(hospital_ledger.monthly_totals, actor, **span)
        categories = data.cached(hospital_ledger.category_totals, actor, **span)
        hospitals = data.cached(hospital_ledger.hospital_totals, actor, **span) if actor.network_wide else []
    except ServiceError as exc:
        say.error(str(exc))
        return
    financials_cards_page.show(ctx, cards)
    _report(ctx, span)
    if not any(m.entries for m in months):
        say.info(
            f"No revenue or expenses are booked for {period.label}. Hospitals book each month's figures at its end; "
            "pick a longer date range in the sidebar."
        )
    else:
        financials_charts_page.show(ctx, group, months, categories, hospitals)
    overview_states_page.group_by_state(ctx, metric="state_revenue_month_to_date")
    st.subheader("Transactions")
    chosen = _selection(ctx, group, span)
    try:
        financials_tables_page.entries(ctx, {**span, **chosen})
    except ServiceError as exc:
        say.error(str(exc))
    st.subheader("The numbers behind the charts")
    financials_tables_page.figures(ctx, months, categories, hospitals)
    financials_budget_page.show(ctx)
    if wallets.shown_to(actor):
        wallets_section_page.show(ctx)
    elif actor.role is permissions.ADMIN:
        st.caption("Patients' wallets are network-wide: pick All hospitals under Working scope to see them.")
