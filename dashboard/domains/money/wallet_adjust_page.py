"""Financials' refund or adjustment form (network administrators): find the wallet, say credit or debit, how much
and why; confirm; posted once however often Confirm is pressed (wallet_adjustments.adjust_from_form)."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.money import wallet_adjustments, wallet_reconciliation, wallets
from dashboard.domains.money.wallet_ledger import checked_amount
from dashboard.kit import commands, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import naira
from dashboard.shell import data

ADJUST = Command(
    "adjust",
    wallet_adjustments.adjust_from_form,
    done="Posted: {owner}'s wallet is adjusted by {change}.",
    question="{verb} {value} {towards} {owner}'s wallet (balance now {balance})? Reason: {why}",
    words=("owner", "change", "verb", "value", "towards", "balance", "why"),
)


def _bring_figures_up_to_date(ctx: PageContext):
    """After a posting, the wallet figures (flows, checkpoints) are refreshed as part of the same command."""
    return lambda: data.write(commands.in_a_live_session(wallet_reconciliation.refresh_reconciliation), ctx.actor)


def form(ctx: PageContext) -> None:
    form_number = commands.nonce(ctx.key)
    typed = st.text_input(
        "Find the patient",
        key=commands.form_key(ctx, "adjust_search"),
        placeholder="Name or email, at least 2 characters",
    )
    searched = len(typed.strip()) >= wallets.MIN_SEARCH
    found = data.call(wallets.find_wallets, ctx.actor, typed) if searched else []
    if searched and not found:
        st.caption("No wallet belongs to a patient of that name or email.")
    by_id = {w.wallet_id: w for w in found}
    wallet_id = st.selectbox(
        # Keyed by the matches too: a new search offers its own first match, not the last search's choice.
        "Wallet", list(by_id), key=f"{commands.form_key(ctx, 'adjust_wallet')}_{hash(tuple(by_id))}",
        placeholder="Find the patient first",
        format_func=lambda w: f"{by_id[w].name} ({by_id[w].email}) · balance {naira(by_id[w].balance)}",
    )  # fmt: skip
    direction_column, amount_column = st.columns(2)
    direction = direction_column.radio(
        "Direction", ["credit", "debit"], horizontal=True, key=commands.form_key(ctx, "adjust_direction"),
        format_func=lambda d: "Credit (add to the wallet)" if d == "credit" else "Debit (take from the wallet)",
    )  # fmt: skip
    amount = amount_column.text_input(
        "Amount (₦)", key=commands.form_key(ctx, "adjust_amount"), placeholder="e.g. 2,500.00"
    )
    reason = st.text_area(
        "Reason", key=commands.form_key(ctx, "adjust_reason"), max_chars=wallet_adjustments.MAX_REASON_LENGTH,
        height=68, help="Goes on the wallet's ledger and in the audit trail.",
    )  # fmt: skip
    if st.button("Post the adjustment…", key=f"{ctx.key}_adjust_ask"):
        if wallet_id is None:
            say.error("Find and pick the wallet first.")
        elif not reason.strip():
            say.error("Give the reason: it goes on the wallet's ledger and in the audit trail.")
        else:
            try:
                value = checked_amount(amount)
            except ServiceError as exc:
                say.error(str(exc))
            else:
                credit = direction == "credit"
                commands.ask_first(
                    ctx, ADJUST, wallet_id=wallet_id, direction=direction, amount=str(value), reason=reason.strip(),
                    form=form_number, owner=by_id[wallet_id].name, change=f"{'+' if credit else '-'}{naira(value)}",
                    verb="Add" if credit else "Take", value=naira(value), towards="to" if credit else "from",
                    balance=naira(by_id[wallet_id].balance), why=reason.strip(),
                )  # fmt: skip
    commands.confirming(ctx, ADJUST, after=_bring_figures_up_to_date(ctx))
