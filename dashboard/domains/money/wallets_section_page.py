"""Financials' section on patients' wallets (network scope): what is held, the month's credits and debits, whether
every wallet reconciles, and for network administrators the refund or adjustment form.

A render never writes and never checks: it shows the last check's verdict (wallet_checks) and how many wallets were
written to since; when the figures are stale (wallets.CheckStatus.stale) the caption says so, and "Check now" (a
command the reader presses) checks at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.money import wallet_adjust_page, wallet_checks, wallet_reconciliation, wallets
from dashboard.kit import charts, commands, kpi, listing, say
from dashboard.kit.charts import Series
from dashboard.kit.commands import Command
from dashboard.kit.export import export_panel
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table
from dashboard.platform import permissions
from dashboard.platform.formatting import Noun, count, lagos_datetime, naira, naira_short
from dashboard.shell import data

CHECK = Command("reconcile", wallet_reconciliation.refresh_reconciliation, done="The wallet figures are up to date.")
PROBLEMS = Table(
    [
        Column("Patient", "owner_name"),
        Column("Balance", "balance", "money"),
        Column("Last balance after", "last_balance_after", "money", empty="No transactions"),
        Column("Breaks at", "break_at", "datetime"),
        Column("Transaction", lambda p: f"{p.break_type} {naira(p.break_amount)}" if p.break_type else None),
        Column("Recorded after", "break_recorded", "money"),
        Column("Should be", "break_expected", "money"),
    ]
)
FLOWS = Table(
    [
        Column("Month", lambda m: f"{m.month:%b %Y}"),
        Column("Credits", "credits", "money"),
        Column("Debits", "debits", "money"),
        Column("Net", "net", "money"),
        Column("Credit transactions", "credit_count", "count"),
        Column("Debit transactions", "debit_count", "count"),
    ]
)


def _as_of(moment) -> str:
    return lagos_datetime(moment) if moment is not None else "never refreshed"


def _export(ctx: PageContext, name: str, table: Table, **options) -> None:
    def prepare() -> tuple[pd.DataFrame, bool]:
        span = {"start": ctx.period.start, "end": ctx.period.end}
        rows, truncated = data.call(wallet_reconciliation.export_wallet_figures, ctx.actor, table=name, **span)
        return table.frame(rows, network_wide=True, for_export=True), truncated

    export_panel(disabled=False, prepare=prepare, **options)


def _reconciliation(ctx: PageContext, status: wallets.CheckStatus) -> None:
    """The last check's verdict: the page never checks in its render (the schedule and Check now do)."""
    last = data.cached(wallet_checks.last_check, ctx.actor)
    checks_column, button_column = st.columns([4, 1])
    if button_column.button("Check now", key=f"{ctx.key}_reconcile", icon=":material/refresh:"):
        commands.run(ctx, CHECK)
    waiting = f"{Noun('wallet was', 'wallets were').count(status.pending_wallets)} written to since"
    checks_column.caption(
        f"Credits, debits and the transaction count as of {_as_of(status.figures_as_of)}"
        # "due a check" only when a wallet waits for one: an old date with nothing written since is no alarm
        f"{' (due a check)' if status.stale and status.pending_wallets else ''}. "
        + (f"Last check {_as_of(last.checked_at)}; {waiting}, checked at the next one." if last else "")
    )
    if last is None:
        say.info(
            "No check of the wallets has run yet. The scheduled `healthdash db reconcile` checks them; press Check "
            "now to check them at once.",
            icon=":material/schedule:",
        )
        return
    if last.reconciles:
        say.success(
            f"Every wallet reconciles as of the last check ({_as_of(last.checked_at)}): {count(last.wallets)} wallets "
            f"and {count(last.transactions)} transactions replayed; each balance equals its last transaction's "
            "balance after, and every balance after is the one before plus a credit or minus a debit.",
            icon=":material/verified:",
        )
        return
    say.warning(
        f"{Noun('wallet does', 'wallets do').count(last.problem_count)} not reconcile, of "
        f"{count(last.wallets)}, at the last check ({_as_of(last.checked_at)}). Each is listed with the first "
        "transaction where its ledger breaks.",
        icon=":material/warning:",
    )
    listing.page_table(PROBLEMS.frame(last.problems, network_wide=True))
    _export(ctx, "reconciliation", PROBLEMS, key=f"{ctx.key}_reconciliation_export",
            filters=("reconciliation", last.problem_count), file_stem="wallet-reconciliation",
            noun=Noun("wallet", "wallets"))  # fmt: skip


def _flows(ctx: PageContext, flows: list[wallets.WalletMonth]) -> None:
    figure = charts.money_bars(
        [f"{m.month:%b %Y}" for m in flows],
        [
            Series("Credits", [m.credits for m in flows], charts.BLUE),
            Series("Debits", [m.debits for m in flows], charts.ORANGE),
        ],
        title="Wallet credits and debits by month (Lagos)",
        label_title="Month",
    )
    charts.show(figure, key=f"{ctx.key}_wallet_flows")
    with st.expander("Wallet credits and debits by month, as a table", key=f"{ctx.key}_flows_table", on_change="rerun"):
        listing.page_table(FLOWS.frame(flows, network_wide=True))
        _export(ctx, "months", FLOWS, key=f"{ctx.key}_flows_export",
                filters=("flows", ctx.period.start, ctx.period.end), file_stem="wallet-flows",
                noun=Noun("month", "months"))  # fmt: skip


def show(ctx: PageContext) -> None:
    st.subheader("Patients' wallets")
    st.caption("Patients' own money held on the platform, across the network: not any one hospital's.")
    status = data.cached(wallets.check_status, ctx.actor)
    held = data.cached(wallets.wallet_totals, ctx.actor)
    flows = data.cached(wallets.monthly_flows, ctx.actor, start=ctx.period.start, end=ctx.period.end)
    credits = sum((m.credits for m in flows), start=held.balance_held * 0)
    debits = sum((m.debits for m in flows), start=held.balance_held * 0)
    as_of = f", as of {_as_of(status.figures_as_of)}."
    during = ctx.period.label
    kpi.card_row(
        ctx.viewer,
        [
            kpi.figure_card(
                "wallet_balances", naira_short(held.balance_held), help_extra=f"Exactly {naira(held.balance_held)}."
            ),
            # "of N" under the value: beside it, a quarter of 1400 px cut the value short ("94,983 of …")
            kpi.figure_card("wallets_funded", count(held.funded), delta=f"of {count(held.wallets)} wallets"),
            kpi.figure_card("wallet_credits", naira_short(credits), help_extra=f"{during}: {naira(credits)}{as_of}"),
            kpi.figure_card("wallet_debits", naira_short(debits), help_extra=f"{during}: {naira(debits)}{as_of}"),
        ],
    )
    _reconciliation(ctx, status)
    if flows:
        _flows(ctx, flows)
    if ctx.actor.role in permissions.writers("wallets"):
        with panel(ctx, "Refund or adjust a wallet", "adjust", icon=":material/currency_exchange:"):
            wallet_adjust_page.form(ctx)
