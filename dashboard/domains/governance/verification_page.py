"""Verification: the hospitals and user documents awaiting a network administrator, oldest first.

Approve or reject with a reason (required, confirmed): the service sets the status, notifies the
owner (a hospital's administrators) and audits, in one transaction, and refuses a decision someone
else made a moment ago. Only http(s) addresses are offered as links; anything else is shown as text.
The two queues and their decisions are the page's part verification_queues_page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.governance import verification_figures, verification_queues_page
from dashboard.domains.governance.verification import wait_text
from dashboard.kit import charts, kpi, say
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import count, lagos_date
from dashboard.shell import data


def _cards(ctx: PageContext) -> None:
    figures = data.cached(verification_figures.queue_summary, ctx.actor)
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("hospitals_awaiting_verification", count(figures.pending_hospitals)),
        kpi.figure_card("documents_awaiting_verification", count(figures.pending_documents)),
        kpi.figure_card("longest_verification_wait", wait_text(figures.oldest_days),
                        status=kpi.Status.ATTENTION if (figures.oldest_days or 0) >= 7 else kpi.Status.NORMAL,
                        status_note="attention from 7 days",
                        help_extra="It is the Waiting of the first row of the queues below."),
        kpi.figure_card("time_to_verify", wait_text(figures.median_days_last_30),
                        label="Median to verify, 30 days",  # the period in the label: short enough for a quarter card
                        delta=kpi.signed_change(figures.median_days_last_30, figures.median_days_previous_30,
                                                unit="days", digits=1),
                        delta_color="inverse", delta_description="vs prior 30 days",
                        help_extra=f"{count(figures.decided_last_30_days)} documents were decided in the last 30 "
                        "days."),
    ])  # fmt: skip


def _charts(ctx: PageContext) -> None:
    backlog_column, median_column = st.columns(2)
    with backlog_column:
        buckets = data.cached(verification_figures.backlog_by_age, ctx.actor)
        frame = pd.DataFrame({"Waiting": [b.label for b in buckets], "Hospitals": [b.hospitals for b in buckets],
                              "Documents": [b.documents for b in buckets]})  # fmt: skip
        charts.show(charts.bar(frame, x="Waiting", y=["Documents", "Hospitals"],
                               title="Backlog by how long it has waited", x_title="Waiting for",
                               y_title="Items waiting", counts=True, height=340,
                               colours={"Documents": charts.BLUE, "Hospitals": charts.ORANGE}),
                    key=f"{ctx.key}_backlog")  # fmt: skip
    with median_column:
        window = ctx.period.at_least_a_year()
        months = data.cached(verification_figures.median_days_to_verify, ctx.actor, start=window.start, end=window.end)
        if not months:
            say.info(f"No document was decided between {lagos_date(window.start)} and {lagos_date(window.end)}.")
            return
        frame = pd.DataFrame({"Month": [m.month for m in months], "Median days": [m.median_days for m in months]})
        charts.show(charts.line(frame, x="Month", y="Median days", title="Median time to verify a document, by month",
                                x_title="Month of the decision", y_title="Days from upload to decision",
                                hover_format=".1f", height=340), key=f"{ctx.key}_median")  # fmt: skip


def render(ctx: PageContext) -> None:
    ctx.header("Hospitals and documents waiting for a decision, longest waiting first.")
    ctx.done()
    _cards(ctx)
    _charts(ctx)
    verification_queues_page.show(ctx, verification_queues_page.HOSPITALS)
    verification_queues_page.show(ctx, verification_queues_page.DOCUMENTS)
