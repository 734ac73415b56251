"""The Emergencies page's figures: the cards at the top and how fast emergencies get a hospital."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.emergencies import open_list, referral_reads
from dashboard.kit import charts, kpi, say
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import count
from dashboard.shell import data
from db import settings

MONTHLY = Table(
    [Column("Month", lambda m: m.month.strftime("%b %Y")), Column("Median minutes", "median_minutes", "count")]
)


def cards(ctx, board: referral_reads.Board, diverted: list, monthly: list) -> None:
    """The figures of the catalogue at the top: open, critical, awaiting an answer, on diversion, time to a hospital."""
    counts = data.call(open_list.open_counts, ctx.actor)
    answer_minutes = settings.current().referral_answer_minutes
    on_diversion = [d for d in diverted if not d.accepting]
    lapsed = len(diverted) - len(on_diversion)
    latest = monthly[-1] if monthly else None
    attention = {True: kpi.Status.ATTENTION, False: kpi.Status.NORMAL}
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("open_emergencies", count(counts.open)),
        kpi.figure_card("critical_emergencies", count(counts.critical), status=attention[bool(counts.critical)]),
        kpi.figure_card("referrals_awaiting", count(board.awaiting), status=attention[bool(board.overdue)],
                        status_note=f"{count(board.overdue)} past {answer_minutes:.0f} min" if board.overdue
                        else f"answer in {answer_minutes:.0f} min"),
        kpi.figure_card("hospitals_on_diversion", count(len(on_diversion)),
                        help_extra=f"{count(lapsed)} more whose expected end has passed count as accepting again."
                        if lapsed else None),
        kpi.figure_card("minutes_to_accepted_referral",
                        "—" if latest is None else f"{latest.median_minutes:,.0f} min in {latest.month:%b}",
                        help_extra=None if latest is None
                        else f"{latest.month:%b %Y}: {count(latest.assigned)} emergencies."),
    ])  # fmt: skip


def response_times(ctx, monthly: list) -> None:
    st.subheader("Time from request to an accepting hospital")
    if not monthly:
        say.info(f"No referral was accepted for emergencies requested {ctx.period.label}. "
                 "Widen the date range to see more.")  # fmt: skip
        return
    charts.show(
        charts.bar(
            MONTHLY.frame(monthly, network_wide=ctx.network_wide), x="Month", y="Median minutes",
            title="Median minutes from request to an accepted referral, by month",
            x_title="Month requested", y_title="Minutes (median)", hover_format=",.0f", value_suffix=" min",
            notes={"Median minutes": [f"({m.assigned:,} emergencies)" for m in monthly]},
        ),
        key=f"{ctx.key}_assignment",
    )  # fmt: skip
