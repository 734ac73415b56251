"""Financials' cards: the range's last month against the same days of the month before, and a year before in a line."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.money import month_figures
from dashboard.domains.money.hospital_ledger import month_label
from dashboard.domains.money.month_figures import Comparison, MonthToDate
from dashboard.kit import kpi
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import naira, naira_change, naira_short


def _percent_words(fraction: float | None) -> str:
    return "" if fraction is None else f" ({fraction * 100:+.1f}%)"


def _card_parts(cards: MonthToDate, name: str, figure: Comparison, colour: str) -> dict:
    """A money card's value, label (naming its days), delta against the same days last month, and help."""
    if figure.change_vs_last_month is not None:
        delta = f"{naira_change(figure.change_vs_last_month)}{_percent_words(figure.percent_vs_last_month)}"
        words = f"vs {cards.last_month.short_label}"
    elif figure.now is None:
        delta, words, colour = f"Nothing booked for {cards.this.short_label} yet", None, "off"
    else:  # say why there is no change, not a bare repeat of the figure
        delta, words, colour = f"No figures for {cards.last_month.short_label}", None, "off"
    return {
        "value": naira_short(figure.now) if figure.now is not None else "No figures",
        "label": f"{name}, {cards.this.label}",  # the period the card holds, in its visible label
        "help_extra": f"{cards.this.label}: {naira(figure.now)}; {cards.last_month.label}: "
        f"{naira(figure.last_month)}; {cards.last_year.label}: {naira(figure.last_year)}."
        + ("" if cards.running else f" {cards.this.label} has ended: whole months are compared."),
        "delta": delta,
        "delta_description": words,
        "delta_color": colour,
    }


def _last_year_words(cards: MonthToDate) -> str:
    """The same figures against a year before, in one line (a second row of cards would repeat the values)."""
    if nothing := month_figures.year_before_note(cards):
        return nothing
    parts = []
    for name, figure in (("Revenue", cards.revenue), ("Expenses", cards.expenses), ("Net", cards.net)):
        change = figure.change_vs_last_year
        parts.append(
            f"{name.lower()} {naira_change(change)}{_percent_words(figure.percent_vs_last_year)}"
            if change is not None
            else f"{name.lower()}: no figure"
        )
    return f"Against {cards.last_year.label}: " + ", ".join(parts) + "."


def show(ctx: PageContext, cards: MonthToDate) -> None:
    kpi.card_row(
        ctx.viewer,
        [
            kpi.figure_card("revenue_month_to_date", **_card_parts(cards, "Revenue", cards.revenue, "normal")),
            kpi.figure_card("expenses_month_to_date", **_card_parts(cards, "Expenses", cards.expenses, "inverse")),
            kpi.figure_card("net_month_to_date", **_card_parts(cards, "Net", cards.net, "normal")),
        ],
        per_row=3,
    )
    if cards.running:
        booked = f" (booked to {cards.booked_to:%-d %b})" if cards.booked_to else ""
        st.caption(
            f"**{cards.vs_last_month}.** {month_label(cards.month)} is still running: the cards hold its "
            f"entries so far{booked} against the same days of the month before and of a year before, never against "
            f"whole months. {month_figures.same_days_note(cards) if cards.pro_rated else ''}"
        )
    else:
        st.caption(f"**{cards.vs_last_month}**, whole months: the last month of the date range against the one before.")
    st.caption(_last_year_words(cards))
