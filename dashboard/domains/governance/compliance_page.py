"""Compliance: scores by type and hospital, assessments overdue or due, violations and corrective actions
tracked to closure, each hospital's history of a type, and the assessment form.

Every staff role reads it in scope; compliance officers and network administrators record
assessments and close items (one service call, one transaction, one audit row each). Text from the
database reaches the screen in tables (always plain text), through md_escape, or as st.text. The
page's parts: compliance_charts_page, compliance_findings_page (the lists), compliance_history_page and
compliance_form_page.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.governance import (
    compliance_assessments,
    compliance_charts_page,
    compliance_checklist_page,
    compliance_findings_page,
    compliance_form_page,
    compliance_history_page,
    compliance_scores,
)
from dashboard.domains.governance.compliance_words_page import score_card
from dashboard.domains.overview import overview_states_page
from dashboard.kit import filters, kpi
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import count
from dashboard.shell import data


def _cards(ctx: PageContext, figures: compliance_scores.Summary) -> None:
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("assessments_overdue", count(figures.overdue),
                        status=kpi.Status.ATTENTION if figures.overdue else kpi.Status.NORMAL,
                        status_note="next assessment date passed"),
        kpi.figure_card("assessments_due_soon", count(figures.due_soon)),
        kpi.figure_card("open_findings", count(figures.open_violations + figures.open_actions),
                        status=kpi.Status.ATTENTION if figures.overdue_items else kpi.Status.NORMAL,
                        status_note=f"{count(figures.overdue_items)} past their due date",
                        help_extra=f"{count(figures.open_violations)} violations and {count(figures.open_actions)} "
                        "corrective actions now."),
        score_card(figures),
    ])  # fmt: skip


def render(ctx: PageContext) -> None:
    ctx.header("Where each hospital stands by compliance type, what is overdue, and the findings still open.")
    ctx.done()
    figures = data.cached(compliance_scores.summary, ctx.actor, today=filters.today())
    _cards(ctx, figures)
    cells = data.cached(compliance_scores.score_grid, ctx.actor)
    compliance_charts_page.show_scores(ctx, cells)
    compliance_charts_page.show_trend_and_status(ctx, figures)
    overview_states_page.group_by_state(ctx, metric="state_compliance_score")
    compliance_findings_page.show_findings(ctx)
    compliance_findings_page.show_due(ctx)
    types = data.cached(compliance_assessments.compliance_types, ctx.actor)
    compliance_history_page.show(ctx, cells, types)
    compliance_checklist_page.show(ctx, types, cells)
    if ctx.can_write:
        compliance_form_page.show(ctx, types)
    else:
        st.caption("Compliance officers and network administrators record assessments and close findings.")
